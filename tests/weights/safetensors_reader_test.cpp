// safetensors headers that lie about offsets, sizes or dtypes are refused with clear errors.
// (Values of a well-formed file are checked against PyTorch in pth_reader_test.)
#include "weights/safetensors_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "weights/weight_file.h"
#include "weights_fixtures.h"

namespace upres::weights {
namespace {

TEST(SafetensorsReader, LyingHeadersAreRefused) {
  std::string why;
  auto dir = testing::fixture_dir(&why);
  if (!dir) GTEST_SKIP() << why;
  const std::tuple<const char*, StatusCode, const char*> cases[] = {
      {"st_past_end", StatusCode::kCorrupt, "outside the 24-byte data buffer"},
      {"st_overflow", StatusCode::kCorrupt, "overflows"},
      {"st_overlap", StatusCode::kCorrupt, "hole or overlap"},
      {"st_hole", StatusCode::kCorrupt, "hole or overlap"},
      {"st_size_mismatch", StatusCode::kCorrupt, "do not match its shape"},
      {"st_begin_after_end", StatusCode::kCorrupt, "data_offsets [24, 0]"},
      {"st_bad_dtype", StatusCode::kUnsupported, "dtype 'Q7'"},
      {"st_header_past_end", StatusCode::kCorrupt, "safetensors header"},
  };
  for (const auto& [file, code, text] : cases) {
    SCOPED_TRACE(file);
    std::filesystem::path path = *dir / file;
    auto read = read_weight_file(path.replace_extension(".safetensors"));
    ASSERT_FALSE(read.is_ok());
    EXPECT_EQ(read.status().code(), code) << read.status().to_string();
    EXPECT_NE(read.status().message().find(text), std::string::npos) << read.status().message();
  }
}

TEST(SafetensorsReader, EveryTruncationIsAnError) {
  std::string why;
  auto dir = testing::fixture_dir(&why);
  if (!dir) GTEST_SKIP() << why;
  auto source = ByteSource::map_file(*dir / "model.safetensors");
  ASSERT_TRUE(source.is_ok());
  auto whole = (*source)->bytes();
  for (size_t len = 0; len < whole.size(); ++len) {
    auto cut = ByteSource::from_bytes(std::vector<uint8_t>(whole.begin(), whole.begin() + len), "cut");
    ASSERT_FALSE(read_safetensors(cut).is_ok()) << "accepted a cut to " << len << " bytes";
  }
}

TEST(SafetensorsReader, BadJsonIsCorrupt) {
  std::string text = "{\"a\": [1, 2";
  std::vector<uint8_t> bytes(8 + text.size());
  uint64_t n = text.size();
  std::memcpy(bytes.data(), &n, 8);
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  auto read = read_safetensors(ByteSource::from_bytes(bytes, "bad.safetensors"));
  ASSERT_FALSE(read.is_ok());
  EXPECT_EQ(read.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(read.status().message().find("bad.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace upres::weights
