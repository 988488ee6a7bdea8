// Tests for server/base64.h against RFC 4648 vectors and round trips.
#include "server/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace upres::server {
namespace {

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(encode_base64(bytes_of("")), "");
  EXPECT_EQ(encode_base64(bytes_of("f")), "Zg==");
  EXPECT_EQ(encode_base64(bytes_of("fo")), "Zm8=");
  EXPECT_EQ(encode_base64(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(encode_base64(bytes_of("foob")), "Zm9vYg==");
  EXPECT_EQ(encode_base64(bytes_of("foobar")), "Zm9vYmFy");
}

TEST(Base64Test, DecodesWithAndWithoutPaddingPrefixAndLineBreaks) {
  EXPECT_EQ(*decode_base64("Zm9vYg==", "image"), bytes_of("foob"));
  EXPECT_EQ(*decode_base64("Zm9vYg", "image"), bytes_of("foob"));
  EXPECT_EQ(*decode_base64("data:image/png;base64,Zm9v\r\nYmFy", "image"), bytes_of("foobar"));
}

TEST(Base64Test, RoundTripsRandomBytes) {
  std::mt19937 random(7);
  for (size_t size = 0; size < 70; ++size) {
    std::vector<uint8_t> bytes(size);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    auto decoded = decode_base64(encode_base64(bytes), "x");
    ASSERT_TRUE(decoded.is_ok()) << size;
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64Test, RejectsInvalidCharactersNamingFieldAndOffset) {
  auto bad = decode_base64("Zm9v*mFy", "imageList[2]");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(bad.status().message().find("imageList[2]"), std::string::npos);
  EXPECT_NE(bad.status().message().find("offset 4"), std::string::npos);
  EXPECT_FALSE(decode_base64("Zm9vY", "image").is_ok());   // a lone trailing character
  EXPECT_FALSE(decode_base64("Zm==9v", "image").is_ok());  // data after padding
}

}  // namespace
}  // namespace upres::server
