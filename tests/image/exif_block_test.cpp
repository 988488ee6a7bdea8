// Tests for EXIF block edits: Orientation reset, UserComment read/write in both byte orders,
// and malformed blocks that must not be trusted.
#include "image/exif_block.h"

#include <gtest/gtest.h>

#include "image/image_codec.h"

#include <random>
#include <string>

namespace upres::image {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// A little-endian block: IFD0 with Make ("Maker\0" stored out of line) and Orientation 6.
std::vector<uint8_t> little_endian_block() {
  std::string tiff("II\x2a\x00\x08\x00\x00\x00", 8);
  tiff += std::string("\x02\x00", 2);                                   // 2 entries
  tiff += std::string("\x0f\x01\x02\x00\x06\x00\x00\x00\x26\x00\x00\x00", 12);  // Make -> offset 38
  tiff += std::string("\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00", 12);  // Orientation 6
  tiff += std::string("\x00\x00\x00\x00", 4);                           // no IFD1
  tiff += std::string("Maker\0", 6);
  return bytes_of("Exif" + std::string("\0\0", 2) + tiff);
}

TEST(ExifBlock, OrientationIsReadAndReset) {
  std::vector<uint8_t> block = little_endian_block();
  EXPECT_EQ(exif_orientation(block), 6);
  EXPECT_TRUE(reset_exif_orientation(block));
  EXPECT_EQ(exif_orientation(block), 1);
  std::vector<uint8_t> none = bytes_of(std::string("MM\0\x2a\0\0\0\x08\0\0\0\0\0\0", 14));
  EXPECT_FALSE(reset_exif_orientation(none));
  EXPECT_FALSE(exif_orientation(none).has_value());
}

// A block with an Exif IFD holding a camera's PixelXDimension (SHORT 640) and PixelYDimension
// (LONG 480), in either byte order.
std::vector<uint8_t> block_with_pixel_dimensions(bool big) {
  std::vector<uint8_t> b = big ? bytes_of(std::string("MM\0\x2a\0\0\0\x08", 8)) : bytes_of(std::string("II\x2a\0\x08\0\0\0", 8));
  auto u16 = [&](uint16_t v) {
    b.push_back(static_cast<uint8_t>(big ? v >> 8 : v & 0xFF));
    b.push_back(static_cast<uint8_t>(big ? v & 0xFF : v >> 8));
  };
  auto u32 = [&](uint32_t v) {
    if (big) u16(static_cast<uint16_t>(v >> 16)), u16(static_cast<uint16_t>(v & 0xFFFF));
    else u16(static_cast<uint16_t>(v & 0xFFFF)), u16(static_cast<uint16_t>(v >> 16));
  };
  u16(1), u16(0x8769), u16(4), u32(1), u32(26), u32(0);  // IFD0: the Exif IFD at 26
  u16(2);                                                 // Exif IFD: two entries
  u16(0xA002), u16(3), u32(1), u16(640), u16(0);          // SHORT, left-justified in the value
  u16(0xA003), u16(4), u32(1), u32(480);
  u32(0);
  return b;
}

TEST(ExifBlock, PixelDimensionsFollowTheNewSize) {
  for (bool big : {false, true}) {
    SCOPED_TRACE(big ? "big-endian" : "little-endian");
    std::vector<uint8_t> block = block_with_pixel_dimensions(big);
    ASSERT_EQ(exif_pixel_dimensions(block), std::make_pair(640u, 480u));
    EXPECT_TRUE(set_exif_pixel_dimensions(block, 2560, 1920));
    EXPECT_EQ(exif_pixel_dimensions(block), std::make_pair(2560u, 1920u));
    // Past a SHORT's range the entry becomes a LONG.
    EXPECT_TRUE(set_exif_pixel_dimensions(block, 70000, 3));
    EXPECT_EQ(exif_pixel_dimensions(block), std::make_pair(70000u, 3u));
    // Other edits still read the block.
    auto commented = set_exif_user_comment(block, "upscaled");
    ASSERT_TRUE(commented.is_ok()) << commented.status().to_string();
    EXPECT_EQ(exif_pixel_dimensions(*commented), std::make_pair(70000u, 3u));
  }
  std::vector<uint8_t> without = little_endian_block();
  const std::vector<uint8_t> before = without;
  EXPECT_FALSE(set_exif_pixel_dimensions(without, 10, 10));
  EXPECT_EQ(without, before);
  EXPECT_FALSE(exif_pixel_dimensions(without).has_value());
}

// A saved PNG's EXIF records the saved picture's size, not the camera's.
TEST(ExifBlock, SavedPngRecordsItsOwnSize) {
  Image picture(8, 6, 3);
  picture.metadata.exif = block_with_pixel_dimensions(true);
  Result<std::vector<uint8_t>> png = encode_image(picture, {.format = ImageFormat::kPng});
  ASSERT_TRUE(png.is_ok()) << png.status().to_string();
  Result<Image> decoded = decode_image(*png, "saved.png");
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(exif_pixel_dimensions(decoded->metadata.exif), std::make_pair(8u, 6u));
}

TEST(ExifBlock, NewUserCommentIsPiexifStyle) {
  auto block = set_exif_user_comment({}, "A\xE2\x9C\x93");
  ASSERT_TRUE(block.is_ok());
  const std::string s(block->begin(), block->end());
  EXPECT_EQ(s.substr(0, 10), std::string("Exif\0\0MM\0\x2a", 10));
  EXPECT_NE(s.find(std::string("UNICODE\0\x00\x41\x27\x13", 12)), std::string::npos);
  EXPECT_EQ(read_exif_user_comment(*block).value(), "A\xE2\x9C\x93");
}

TEST(ExifBlock, UserCommentIsAddedToAnExistingBlockKeepingItsTags) {
  std::vector<uint8_t> original = little_endian_block();
  auto block = set_exif_user_comment(original, "Postprocess upscale by: 4");
  ASSERT_TRUE(block.is_ok()) << block.status().to_string();
  EXPECT_EQ(read_exif_user_comment(*block).value(), "Postprocess upscale by: 4");
  EXPECT_EQ(exif_orientation(*block), 6);
  const std::string s(block->begin(), block->end());
  EXPECT_NE(s.find("Maker"), std::string::npos);
  // Replacing it again keeps one comment: the new one.
  auto again = set_exif_user_comment(*block, "second");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(read_exif_user_comment(*again).value(), "second");
  EXPECT_EQ(exif_orientation(*again), 6);
}

TEST(ExifBlock, ReadsAsciiAndUndefinedPrefixes) {
  for (const std::string& prefix : {std::string("ASCII\0\0\0", 8), std::string(8, '\0')}) {
    const std::string comment = prefix + "hello";
    std::string tiff("MM\0\x2a\0\0\0\x08", 8);
    tiff += std::string("\0\x01\x87\x69\0\x04\0\0\0\x01\0\0\0\x1a\0\0\0\0", 18);  // IFD0 -> Exif IFD at 26
    tiff += std::string("\0\x01\x92\x86\0\x07\0\0\0", 9) + static_cast<char>(comment.size()) +
            std::string("\0\0\0\x2c\0\0\0\0", 8);  // UserComment at 44
    tiff += comment;
    EXPECT_EQ(read_exif_user_comment(bytes_of(tiff)).value(), "hello");
  }
}

TEST(ExifBlock, MalformedBlocksAreRefusedNotTrusted) {
  std::vector<uint8_t> block = little_endian_block();
  block.resize(20);  // IFD0 cut off
  EXPECT_FALSE(exif_orientation(block).has_value());
  EXPECT_FALSE(reset_exif_orientation(block));
  EXPECT_FALSE(read_exif_user_comment(block).has_value());
  EXPECT_FALSE(set_exif_user_comment(block, "x").is_ok());
  // IFD0 offset pointing far outside the block.
  const std::vector<uint8_t> wild = bytes_of(std::string("MM\0\x2a\x7f\xff\xff\xff", 8));
  EXPECT_FALSE(exif_orientation(wild).has_value());
  EXPECT_FALSE(set_exif_user_comment(wild, "x").is_ok());
  EXPECT_FALSE(read_exif_user_comment(bytes_of("not exif at all")).has_value());
}

TEST(ExifBlock, RandomDamageNeverReadsOutOfBounds) {
  const std::vector<uint8_t> goods[] = {set_exif_user_comment(little_endian_block(), "text").value(),
                                        set_exif_user_comment(block_with_pixel_dimensions(true), "text").value()};
  std::mt19937 rng(99);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> block = goods[round % 2];
    for (int i = 0; i < 4; ++i) block[rng() % block.size()] = static_cast<uint8_t>(rng());
    if (round % 3 == 0) block.resize(rng() % block.size());
    (void)exif_orientation(block);
    (void)read_exif_user_comment(block);
    (void)set_exif_user_comment(block, "x");
    (void)exif_pixel_dimensions(block);
    set_exif_pixel_dimensions(block, 100000, 7);
    reset_exif_orientation(block);
  }
  SUCCEED();  // run under ASan/valgrind, this is where an out-of-bounds read would show
}

}  // namespace
}  // namespace upres::image
