// Tests for the UTF-8 / Latin-1 / UTF-16 conversions used by PNG and EXIF text.
#include "image/text_encoding.h"

#include <gtest/gtest.h>

namespace upres::image {
namespace {

TEST(TextEncoding, Latin1RoundTripAndRefusal) {
  EXPECT_EQ(utf8_to_latin1("caf\xC3\xA9").value(), "caf\xE9");
  EXPECT_EQ(latin1_to_utf8("caf\xE9"), "caf\xC3\xA9");
  EXPECT_FALSE(utf8_to_latin1("\xE2\x9C\x93").has_value());  // U+2713
  EXPECT_FALSE(utf8_to_latin1("bad \xC3").has_value());       // truncated sequence
  EXPECT_FALSE(utf8_to_latin1("\xC0\xAF").has_value());       // overlong
}

TEST(TextEncoding, Utf16BothByteOrdersAndSurrogates) {
  const std::string text = "A\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80";  // A é ✓ 😀
  const std::string big = utf8_to_utf16(text, true);
  EXPECT_EQ(big, std::string("\x00\x41\x00\xE9\x27\x13\xD8\x3D\xDE\x00", 10));
  EXPECT_EQ(utf16_to_utf8(big, true), text);
  EXPECT_EQ(utf16_to_utf8(utf8_to_utf16(text, false), false), text);
  EXPECT_EQ(utf16_to_utf8(std::string("\xD8\x3D\x00\x41", 4), true), "\xEF\xBF\xBD" "A");  // lone surrogate
}

TEST(TextEncoding, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain \xE2\x9C\x93"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // encoded surrogate
}

}  // namespace
}  // namespace upres::image
