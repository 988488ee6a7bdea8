// WeightMap: entries are checked against their source, and reads convert every dtype to fp32.
#include "weights/weight_map.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace upres::weights {
namespace {

std::shared_ptr<const ByteSource> bytes_of(const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  return ByteSource::from_bytes(std::vector<uint8_t>(p, p + n), "mem");
}

TEST(WeightMap, ConvertsHalfBfloatAndIntegersToFloat) {
  uint16_t halves[3] = {float_to_half(1.5f), float_to_half(-0.25f), float_to_bf16(3.0f)};
  WeightMap map;
  uint32_t src = map.add_source(bytes_of(halves, sizeof halves));
  ASSERT_TRUE(map.add_entry({"h", DType::kF16, {2}, src, 0, 4}).is_ok());
  ASSERT_TRUE(map.add_entry({"b", DType::kBF16, {}, src, 4, 2}).is_ok());
  EXPECT_EQ(*map.read_f32("h"), (std::vector<float>{1.5f, -0.25f}));
  EXPECT_EQ(*map.read_f32("b"), (std::vector<float>{3.0f}));
  EXPECT_EQ(map.read_f32("missing").status().code(), StatusCode::kNotFound);
  float into[2] = {0, 0};
  ASSERT_TRUE(map.read_f32_into(*map.find("h"), into).is_ok());
  EXPECT_EQ(into[1], -0.25f);
  EXPECT_EQ(map.read_f32_into(*map.find("b"), into).code(), StatusCode::kInvalidArgument);
}

// read_f32 widens halves by bit moves (fast); every one of the 65536 must equal half_to_float's.
TEST(WeightMap, WidensEveryHalfAsHalfToFloatDoes) {
  std::vector<uint16_t> halves(65536);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i);
  WeightMap map;
  uint32_t src = map.add_source(bytes_of(halves.data(), halves.size() * 2));
  ASSERT_TRUE(map.add_entry({"all", DType::kF16, {65536}, src, 0, 65536 * 2}).is_ok());
  const std::vector<float> widened = *map.read_f32("all");
  int mismatches = 0;
  for (size_t i = 0; i < halves.size(); ++i) {
    const float expected = half_to_float(halves[i]);
    const bool same = std::isnan(expected) ? std::isnan(widened[i]) && std::signbit(widened[i]) == std::signbit(expected)
                                           : std::memcmp(&widened[i], &expected, 4) == 0;  // -0 too
    if (!same && ++mismatches <= 5) ADD_FAILURE() << "half 0x" << std::hex << i << ": " << widened[i] << " vs " << expected;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(WeightMap, RefusesEntriesOutsideTheSourceOrWithWrongLengths) {
  float values[4] = {1, 2, 3, 4};
  WeightMap map;
  uint32_t src = map.add_source(bytes_of(values, sizeof values));
  EXPECT_EQ(map.add_entry({"past", DType::kF32, {2}, src, 12, 8}).code(), StatusCode::kCorrupt);
  EXPECT_EQ(map.add_entry({"len", DType::kF32, {3}, src, 0, 8}).code(), StatusCode::kCorrupt);
  EXPECT_EQ(map.add_entry({"neg", DType::kF32, {-1}, src, 0, 0}).code(), StatusCode::kCorrupt);
  Status huge = map.add_entry({"huge", DType::kF32, {1LL << 31, 1LL << 31, 1LL << 31}, src, 0, 0});
  EXPECT_EQ(huge.code(), StatusCode::kCorrupt);
  EXPECT_NE(huge.message().find("'huge'"), std::string::npos);
  ASSERT_TRUE(map.add_entry({"ok", DType::kF32, {2, 2}, src, 0, 16}).is_ok());
  EXPECT_EQ(map.add_entry({"ok", DType::kF32, {1}, src, 0, 4}).code(), StatusCode::kCorrupt);
}

TEST(WeightMap, DecodesNcnnCodebooksAndRefusesInt8) {
  std::vector<uint8_t> blob(1024 + 3);
  float table[256];
  for (int i = 0; i < 256; ++i) table[i] = static_cast<float>(i) * 0.5f;
  std::memcpy(blob.data(), table, 1024);
  blob[1024] = 4, blob[1025] = 255, blob[1026] = 0;
  WeightMap map;
  uint32_t src = map.add_source(ByteSource::from_bytes(blob, "bin"));
  WeightEntry codebook{"cb", DType::kU8, {3}, src, 0, 1027, NcnnStorage::kCodebook};
  ASSERT_TRUE(map.add_entry(codebook).is_ok());
  EXPECT_EQ(*map.read_f32("cb"), (std::vector<float>{2.0f, 127.5f, 0.0f}));
  ASSERT_TRUE(map.add_entry({"q", DType::kI8, {3}, src, 0, 3, NcnnStorage::kInt8}).is_ok());
  EXPECT_EQ(map.read_f32("q").status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace upres::weights
