// The per-instruction-set halves of WinogradConv::run() (winograd_conv.h): one block of tiles
// through input transform, 36 GEMMs and output transform. winograd_conv.cpp splits the picture
// into blocks and hands them to the OpenMP threads; the block functions hold the SIMD code.
#pragma once

#include <cstdint>

#include "engine/cpu/winograd_conv.h"

namespace upres::engine::cpu {

struct WinogradGeometry {
  int64_t in_c = 0, out_c = 0, out_padded = 0, h = 0, w = 0, oh = 0, ow = 0, pad = 0;
  int64_t tiles_h = 0, tiles_w = 0, tiles = 0;
  int64_t block = 0;  // tiles per block
  // Floats from one of the 36 positions to the next in a block's V (block x in_c used) and M
  // (block x out_padded used) scratch; winograd_position_stride().
  int64_t v_position = 0, m_position = 0;
};

// The stride between positions for `floats` used per position: a whole number of 64-byte lines,
// and an odd one. A stride of a multiple of 4 KiB's lines (e.g. 24 tiles x 64 channels = 6 KiB)
// sent the 36 vectors one tile's transform stores to the same few L1 sets; an odd number of lines
// spreads them over 36 sets.
constexpr int64_t winograd_position_stride(int64_t floats) {
  const int64_t lines = (floats + 15) / 16;
  return (lines % 2 == 0 ? lines + 1 : lines) * 16;
}

struct WinogradOperands {
  const float* src = nullptr;
  const float* residual = nullptr;
  float* dst = nullptr;
  const float* u = nullptr;
  const float* bias = nullptr;
  const float* negative_slopes = nullptr;  // per output channel (out_padded), read when activated
  const WinogradEpilogue* epilogue = nullptr;
};

// Tiles per micro-kernel call: the block's tile count is a multiple of it.
constexpr int64_t kWinogradAvx2Rows = 6;     // 6 x 2 ymm accumulators + 2 weights + 1 broadcast of 16
constexpr int64_t kWinogradAvx512Rows = 12;  // 12 x 2 zmm accumulators + 2 weights + 1 broadcast of 32

// Tiles [first, first + count) of the picture: input transform, 36 GEMMs, output transform.
// v: 36 * g.v_position floats, m: 36 * g.m_position floats, 64-byte aligned (this thread's scratch).
// Requires: cpu_runs_winograd(kAvx2) / cpu_runs_winograd(kAvx512) respectively.
void winograd_run_block_avx2(const WinogradGeometry& g, const WinogradOperands& o, int64_t first, int64_t count,
                             float* v, float* m);
void winograd_run_block_avx512(const WinogradGeometry& g, const WinogradOperands& o, int64_t first, int64_t count,
                               float* v, float* m);

}  // namespace upres::engine::cpu
