// Tests for PNG text chunk reading and insertion: chunk choice (tEXt vs iTXt), CRCs, order, and
// malformed chunk streams.
#include "image/png_text_chunks.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace upres::image {
namespace {

void append_chunk(std::vector<uint8_t>& png, const std::string& type, const std::string& body) {
  const uint32_t n = static_cast<uint32_t>(body.size());
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(n >> s));
  std::string both = type + body;
  png.insert(png.end(), both.begin(), both.end());
  const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(both.data()),
                                                   static_cast<uInt>(both.size())));
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<uint8_t>(crc >> s));
}

// Signature, IHDR and IEND only: enough structure for the chunk walker.
std::vector<uint8_t> minimal_png() {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  append_chunk(png, "IHDR", std::string("\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0", 13));
  append_chunk(png, "IEND", "");
  return png;
}

// (type, body) of every chunk, checking each CRC.
std::vector<std::pair<std::string, std::string>> chunks_of(const std::vector<uint8_t>& png) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t off = 8; off + 12 <= png.size();) {
    const uint32_t n = (uint32_t{png[off]} << 24) | (uint32_t{png[off + 1]} << 16) |
                       (uint32_t{png[off + 2]} << 8) | png[off + 3];
    const std::string both(png.begin() + off + 4, png.begin() + off + 8 + n);
    const uint8_t* c = png.data() + off + 8 + n;
    const uint32_t stored = (uint32_t{c[0]} << 24) | (uint32_t{c[1]} << 16) | (uint32_t{c[2]} << 8) | c[3];
    EXPECT_EQ(stored, crc32(0, reinterpret_cast<const Bytef*>(both.data()), static_cast<uInt>(both.size())));
    out.emplace_back(both.substr(0, 4), both.substr(4));
    off += 12 + n;
  }
  return out;
}

TEST(PngTextChunks, WritesTextLikePilAddTextAndReadsItBack) {
  const TextChunks text = {{"parameters", "a: 1, b"}, {"latin", "caf\xC3\xA9"}, {"wide", "\xE2\x9C\x93"}};
  auto png = insert_png_text_chunks(minimal_png(), text);
  ASSERT_TRUE(png.is_ok());
  const auto chunks = chunks_of(*png);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[1], std::make_pair(std::string("tEXt"), std::string("parameters\0a: 1, b", 18)));
  EXPECT_EQ(chunks[2], std::make_pair(std::string("tEXt"), std::string("latin\0caf\xE9", 10)));
  EXPECT_EQ(chunks[3], std::make_pair(std::string("iTXt"), std::string("wide\0\0\0\0\0\xE2\x9C\x93", 12)));
  EXPECT_EQ(chunks[4].first, "IEND");
  auto back = read_png_text_chunks(*png, "t.png");
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, text);
}

// PIL writes text before the image data, and readers that stop at the first IDAT (PIL's
// Image.open(f).info) find it only there.
TEST(PngTextChunks, TextGoesBeforeTheFirstImageData) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  append_chunk(png, "IHDR", std::string("\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0", 13));
  append_chunk(png, "IDAT", "first");
  append_chunk(png, "IDAT", "second");
  append_chunk(png, "IEND", "");
  auto out = insert_png_text_chunks(png, {{"postprocessing", "Postprocess upscale by: 4"}});
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const auto chunks = chunks_of(*out);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].first, "IHDR");
  EXPECT_EQ(chunks[1].first, "tEXt");
  EXPECT_EQ(chunks[2], std::make_pair(std::string("IDAT"), std::string("first")));
  EXPECT_EQ(chunks[3], std::make_pair(std::string("IDAT"), std::string("second")));
  EXPECT_EQ(chunks[4].first, "IEND");
}

TEST(PngTextChunks, RefusesBadKeys) {
  EXPECT_EQ(insert_png_text_chunks(minimal_png(), {{"", "v"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(insert_png_text_chunks(minimal_png(), {{std::string(80, 'k'), "v"}}).is_ok());
  EXPECT_FALSE(insert_png_text_chunks(minimal_png(), {{"\xE2\x9C\x93", "v"}}).is_ok());
  std::vector<uint8_t> no_end = minimal_png();
  no_end.resize(no_end.size() - 12);
  EXPECT_EQ(insert_png_text_chunks(no_end, {{"k", "v"}}).status().code(), StatusCode::kCorrupt);
}

TEST(PngTextChunks, ChunkRunningPastTheEndIsCorruptWithOffset) {
  std::vector<uint8_t> png = minimal_png();
  png.resize(png.size() - 12);
  append_chunk(png, "tEXt", std::string("key\0value", 9));
  png[33 + 3] = 0xF0;  // the tEXt chunk now claims 240 bytes
  auto result = read_png_text_chunks(png, "bad.png");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(result.status().message().find("bad.png"), std::string::npos);
  EXPECT_NE(result.status().message().find("offset 33"), std::string::npos);
}

TEST(PngTextChunks, LaterDuplicateKeyReplacesTheValue) {
  std::vector<uint8_t> png = minimal_png();
  png.resize(png.size() - 12);
  append_chunk(png, "tEXt", std::string("a\0one", 5));
  append_chunk(png, "tEXt", std::string("b\0two", 5));
  append_chunk(png, "tEXt", std::string("a\0three", 7));
  append_chunk(png, "zTXt", std::string("bad\0\0notzlib", 12));
  append_chunk(png, "IEND", "");
  EXPECT_EQ(read_png_text_chunks(png, "z.png").status().code(), StatusCode::kCorrupt);
  png.resize(png.size() - 12 - 24);
  append_chunk(png, "IEND", "");
  auto result = read_png_text_chunks(png, "d.png");
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(*result, (TextChunks{{"a", "three"}, {"b", "two"}}));
}

}  // namespace
}  // namespace upres::image
