// Which map sizes ConvSpec::may_run_winograd() keeps off oneDNN's Winograd kernel: those whose
// 4x4-tile count has no divisor from 2 to 31 for the kernel's register blocking (37x37 tiles at
// 148 px ran at 0.6-1.1x direct's speed on 1 thread, ~0.5x on 2; bench/winograd_size_sweep).
#include <gtest/gtest.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "engine/cpu/conv_primitive.h"

namespace upres::engine::cpu {
namespace {

ConvSpec conv3x3(int64_t height, int64_t width, int64_t in_channels = 64, int64_t out_channels = 64) {
  ConvSpec spec;
  spec.in_channels = in_channels;
  spec.out_channels = out_channels;
  spec.in_height = height;
  spec.in_width = width;
  spec.kernel_h = spec.kernel_w = 3;
  spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 1;
  return spec;
}

TEST(CpuWinogradBlockingTest, TileCountIsBatchTimesFourPixelTilesRoundedUp) {
  EXPECT_EQ(winograd_tile_count(conv3x3(148, 148)), 37 * 37);
  EXPECT_EQ(winograd_tile_count(conv3x3(150, 146)), 38 * 37);
  ConvSpec batch = conv3x3(16, 17);
  batch.batch = 3;
  EXPECT_EQ(winograd_tile_count(batch), 3 * 4 * 5);
  ConvSpec unpadded = conv3x3(18, 18);
  unpadded.pad_top = unpadded.pad_left = unpadded.pad_bottom = unpadded.pad_right = 0;
  EXPECT_EQ(winograd_tile_count(unpadded), 4 * 4);  // a 16x16 output
}

TEST(CpuWinogradBlockingTest, RegisterBlockIsTheLargestDivisorBelowThirtyTwo) {
  EXPECT_EQ(winograd_register_block(37 * 37), 1);  // prime tile rows: no blocking
  EXPECT_EQ(winograd_register_block(2 * 37 * 37), 2);
  EXPECT_EQ(winograd_register_block(4 * 37 * 37), 4);
  EXPECT_EQ(winograd_register_block(38 * 38), 19);
  EXPECT_EQ(winograd_register_block(40 * 40), 25);
  EXPECT_EQ(winograd_register_block(5 * 7), 7);
  EXPECT_EQ(winograd_register_block(31), 31);
  EXPECT_EQ(winograd_register_block(64), 16);
  EXPECT_EQ(winograd_register_block(1), 1);
  EXPECT_EQ(winograd_register_block(0), 1);
}

TEST(CpuWinogradBlockingTest, MapsWithoutRegisterBlockingStayDirect) {
  for (int64_t size : {145, 148, 161, 164, 169, 185, 212, 233, 241, 265, 289, 313}) {
    EXPECT_FALSE(conv3x3(size, size).may_run_winograd()) << size << " px";
    EXPECT_FALSE(conv3x3(size, size, 64, 32).may_run_winograd()) << size << " px, 64->32";
  }
  for (int64_t size : {16, 28, 64, 128, 144, 149, 152, 156, 158, 256, 296, 320}) {
    EXPECT_TRUE(conv3x3(size, size).may_run_winograd()) << size << " px";
  }
  EXPECT_TRUE(conv3x3(20, 28).may_run_winograd());    // 5x7 tiles: blocks of 7
  EXPECT_TRUE(conv3x3(148, 152).may_run_winograd());  // 37x38 tiles: blocks of 19
  EXPECT_TRUE(conv3x3(148, 296).may_run_winograd());   // 37x74 tiles: blocks of 2
  EXPECT_FALSE(conv3x3(148, 164).may_run_winograd());  // 37x41 tiles: both prime
}

// The rule reaches the primitive: 148 px runs direct, and 152 px Winograd where oneDNN has it
// (avx512).
TEST(CpuWinogradBlockingTest, ConvPrimitiveRunsDirectWhereBlockingFails) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const std::vector<float> weights(64 * 64 * 9, 0.01f);
  auto bad = ConvPrimitive::create(engine, conv3x3(148, 148), weights, {});
  auto good = ConvPrimitive::create(engine, conv3x3(152, 152), weights, {});
  ASSERT_TRUE(bad.is_ok()) << bad.status().to_string();
  ASSERT_TRUE(good.is_ok()) << good.status().to_string();
  EXPECT_FALSE(bad->is_winograd()) << bad->implementation();
  if (dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core) {
    EXPECT_TRUE(good->is_winograd()) << good->implementation();
  }
}

}  // namespace
}  // namespace upres::engine::cpu
