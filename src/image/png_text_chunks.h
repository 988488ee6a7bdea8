// PNG text chunks (tEXt, zTXt, iTXt): reading them in file order and inserting them before IEND,
// the way the reference UI's PIL PngInfo.add_text writes them. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace upres::image {

using TextChunks = std::vector<std::pair<std::string, std::string>>;

// True when `bytes` starts with the PNG signature.
bool is_png(std::span<const uint8_t> bytes);

// Text chunks of a PNG in file order, keys and values as UTF-8 (tEXt/zTXt are Latin-1 in the
// file). A later chunk with an already seen key replaces its value. Corrupt (naming `name` and
// the chunk offset) when a chunk runs past the end or a compressed text does not inflate.
Result<TextChunks> read_png_text_chunks(std::span<const uint8_t> png, std::string_view name);

// Appends one chunk per item to `out` (a PNG being written, before its first IDAT), as PIL
// writes them: tEXt when key and value are Latin-1, else an uncompressed iTXt. InvalidArgument
// for an empty key, one over 79 bytes, or one that is not Latin-1 (`out` may then hold some).
Status append_png_text_chunks(std::vector<uint8_t>& out,
                              std::span<const std::pair<std::string, std::string>> text);

// `png` with one chunk per item inserted before the first IDAT (before IEND when there is none), as
// PIL writes them: tEXt when key and value are Latin-1,
// else an uncompressed iTXt. InvalidArgument for an empty key, one over 79 bytes, or one that is
// not Latin-1; Corrupt when `png` has no IEND.
Result<std::vector<uint8_t>> insert_png_text_chunks(std::span<const uint8_t> png,
                                                    const TextChunks& text);

}  // namespace upres::image
