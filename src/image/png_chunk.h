// PngChunk framing: the length, type, body and CRC-32 that wrap every PNG chunk. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace upres::image {

// Appends one chunk: big-endian body length, the 4-letter `type`, `body`, and the CRC-32 of type
// and body. Requires: type.size() == 4, body.size() < 2^31 (PNG's chunk length limit).
void append_png_chunk(std::vector<uint8_t>& out, std::string_view type, std::span<const uint8_t> body);

// Writes `value` big-endian at `out` (4 bytes), as every PNG integer field is stored.
void store_png_u32(uint8_t* out, uint32_t value);

}  // namespace upres::image
