// PNG inspection for the encoder tests: chunks with their CRCs checked, the image stream inflated
// and unfiltered by a plain reference decoder written from the PNG specification (not shared with
// src/). Not thread-safe (gtest assertions).
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace upres::image::testing {

inline uint32_t png_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// (type, body) of every chunk after the signature, in file order; each CRC is checked.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> png_chunks(const std::vector<uint8_t>& png) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> chunks;
  EXPECT_GE(png.size(), 8u);
  for (size_t at = 8; at + 12 <= png.size();) {
    const uint32_t length = png_u32(png.data() + at);
    EXPECT_LE(size_t{length} + 12, png.size() - at) << "chunk at " << at;
    if (size_t{length} + 12 > png.size() - at) break;
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0, png.data() + at + 4, 4 + size_t{length}));
    EXPECT_EQ(png_u32(png.data() + at + 8 + length), crc) << "CRC of the chunk at " << at;
    chunks.emplace_back(std::string(png.begin() + at + 4, png.begin() + at + 8),
                        std::vector<uint8_t>(png.begin() + at + 8, png.begin() + at + 8 + length));
    at += size_t{length} + 12;
  }
  return chunks;
}

// The IDAT chunks joined and inflated (zlib checks the Adler-32); empty on any zlib error.
inline std::vector<uint8_t> inflate_idat(const std::vector<uint8_t>& png) {
  std::vector<uint8_t> stream;
  for (const auto& [type, body] : png_chunks(png))
    if (type == "IDAT") stream.insert(stream.end(), body.begin(), body.end());
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return {};
  zs.next_in = stream.data();
  zs.avail_in = static_cast<uInt>(stream.size());
  std::vector<uint8_t> out;
  uint8_t buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = buffer;
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), buffer, buffer + (sizeof(buffer) - zs.avail_out));
  }
  const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  return whole ? out : std::vector<uint8_t>{};
}

// Undoes PNG's filters on `filtered` (rows of 1 + row_bytes bytes), the specification's way,
// one byte at a time. Returns the raw rows; EXPECTs a valid filter type on every row.
inline std::vector<uint8_t> unfilter_rows(const std::vector<uint8_t>& filtered, size_t row_bytes, size_t bpp) {
  const size_t rows = filtered.size() / (row_bytes + 1);
  EXPECT_EQ(rows * (row_bytes + 1), filtered.size());
  std::vector<uint8_t> raw(rows * row_bytes);
  for (size_t y = 0; y < rows; ++y) {
    const uint8_t type = filtered[y * (row_bytes + 1)];
    EXPECT_LE(type, 4) << "row " << y;
    for (size_t i = 0; i < row_bytes; ++i) {
      const int a = i >= bpp ? raw[y * row_bytes + i - bpp] : 0;
      const int b = y > 0 ? raw[(y - 1) * row_bytes + i] : 0;
      const int c = i >= bpp && y > 0 ? raw[(y - 1) * row_bytes + i - bpp] : 0;
      int predictor = 0;
      if (type == 1) predictor = a;
      if (type == 2) predictor = b;
      if (type == 3) predictor = (a + b) / 2;
      if (type == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
      }
      raw[y * row_bytes + i] = static_cast<uint8_t>(filtered[y * (row_bytes + 1) + 1 + i] + predictor);
    }
  }
  return raw;
}

// The filter type byte of every row of `filtered`.
inline std::vector<uint8_t> filter_types(const std::vector<uint8_t>& filtered, size_t row_bytes) {
  std::vector<uint8_t> types;
  for (size_t at = 0; at < filtered.size(); at += row_bytes + 1) types.push_back(filtered[at]);
  return types;
}

}  // namespace upres::image::testing
