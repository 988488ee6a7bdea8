// Tests for EXIF block edits: Orientation reset, UserComment read/write in both byte orders,
// and malformed blocks that must not be trusted.
#include "image/exif_block.h"

#include <gtest/gtest.h>

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
  const std::vector<uint8_t> good = set_exif_user_comment(little_endian_block(), "text").value();
  std::mt19937 rng(99);
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> block = good;
    for (int i = 0; i < 4; ++i) block[rng() % block.size()] = static_cast<uint8_t>(rng());
    if (round % 3 == 0) block.resize(rng() % block.size());
    (void)exif_orientation(block);
    (void)read_exif_user_comment(block);
    (void)set_exif_user_comment(block, "x");
    reset_exif_orientation(block);
  }
  SUCCEED();  // run under ASan/valgrind, this is where an out-of-bounds read would show
}

}  // namespace
}  // namespace upres::image
