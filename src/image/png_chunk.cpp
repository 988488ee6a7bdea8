// PNG chunk framing with zlib's CRC-32. Pure functions; thread-safe.
#include "image/png_chunk.h"

#include <zlib.h>

#include <algorithm>
#include <cassert>

namespace upres::image {

void store_png_u32(uint8_t* out, uint32_t value) {
  out[0] = static_cast<uint8_t>(value >> 24);
  out[1] = static_cast<uint8_t>(value >> 16);
  out[2] = static_cast<uint8_t>(value >> 8);
  out[3] = static_cast<uint8_t>(value);
}

void append_png_chunk(std::vector<uint8_t>& out, std::string_view type, std::span<const uint8_t> body) {
  assert(type.size() == 4 && body.size() < (size_t{1} << 31));
  const size_t start = out.size();
  out.resize(start + 12 + body.size());
  uint8_t* chunk = out.data() + start;
  store_png_u32(chunk, static_cast<uint32_t>(body.size()));
  std::copy(type.begin(), type.end(), chunk + 4);
  std::copy(body.begin(), body.end(), chunk + 8);
  const uLong crc = crc32_z(0, chunk + 4, 4 + body.size());
  store_png_u32(chunk + 8 + body.size(), static_cast<uint32_t>(crc));
}

}  // namespace upres::image
