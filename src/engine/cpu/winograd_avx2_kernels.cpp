// WinogradConv's AVX2 block of tiles (winograd_kernels.h), on nChw8c activations.
// Every function that holds AVX2 instructions carries target("avx2,fma") (the build has no -mavx2
// and must run on CPUs without it). Nothing here uses AVX-512.
//
// Per block of tiles (one OpenMP task): V[36][block][in] = B^T d B of each 6x6 input tile (8
// channels per ymm register), M[36][block][out_padded] = V x U per position (a 6-tile x
// 16-channel register-blocked FMA micro-kernel), then Y = A^T M A of each tile, fused with bias,
// activation, scale and residual, stored into the nChw8c output.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "engine/cpu/winograd_kernels.h"

#define UPRES_AVX2_FMA __attribute__((target("avx2,fma")))

namespace upres::engine::cpu {
namespace {

constexpr int kRows = static_cast<int>(kWinogradAvx2Rows);
using Geometry = WinogradGeometry;
using Operands = WinogradOperands;

// The interpolation points are 0, +-sqrt(2)/2, +-sqrt(2) and infinity (winograd_conv.cpp):
// a = sqrt(2)/2, b = sqrt(2), so a^2 b^2 = 1, a^2 + b^2 = 5/2, a b^2 = sqrt(2), a^2 b = sqrt(2)/2.
constexpr float kSqrt2 = 1.41421356237309505f;
constexpr float kHalfSqrt2 = 0.707106781186547524f;
constexpr float kQuarterSqrt2 = 0.353553390593273762f;
constexpr float kTwoSqrt2 = 2.82842712474619009f;

// B^T (6x6) applied to a column of 6 vectors.
UPRES_AVX2_FMA inline void input_transform6(const __m256* d, __m256* t) {
  const __m256 half = _mm256_set1_ps(0.5f), two = _mm256_set1_ps(2.0f), two_and_half = _mm256_set1_ps(2.5f);
  const __m256 sqrt2 = _mm256_set1_ps(kSqrt2), half_sqrt2 = _mm256_set1_ps(kHalfSqrt2);
  t[0] = _mm256_fnmadd_ps(two_and_half, d[2], _mm256_add_ps(d[0], d[4]));       // d0 - 5/2 d2 + d4
  const __m256 p = _mm256_fnmadd_ps(two, d[2], d[4]);                            // d4 - 2 d2
  const __m256 q = _mm256_fmsub_ps(sqrt2, d[1], _mm256_mul_ps(half_sqrt2, d[3]));  // sqrt2 d1 - sqrt2/2 d3
  t[1] = _mm256_sub_ps(p, q);
  t[2] = _mm256_add_ps(p, q);
  const __m256 r = _mm256_fnmadd_ps(half, d[2], d[4]);                           // d4 - d2 / 2
  const __m256 s = _mm256_fmsub_ps(half_sqrt2, d[1], _mm256_mul_ps(sqrt2, d[3]));  // sqrt2/2 d1 - sqrt2 d3
  t[3] = _mm256_sub_ps(r, s);
  t[4] = _mm256_add_ps(r, s);
  t[5] = _mm256_fnmadd_ps(two_and_half, d[3], _mm256_add_ps(d[1], d[5]));       // d1 - 5/2 d3 + d5
}

// A^T (4x6) applied to a column of 6 vectors: row i holds the points' i-th powers.
UPRES_AVX2_FMA inline void output_transform6(const __m256* m, __m256* y) {
  const __m256 half = _mm256_set1_ps(0.5f), two = _mm256_set1_ps(2.0f);
  const __m256 sqrt2 = _mm256_set1_ps(kSqrt2), half_sqrt2 = _mm256_set1_ps(kHalfSqrt2);
  const __m256 quarter_sqrt2 = _mm256_set1_ps(kQuarterSqrt2), two_sqrt2 = _mm256_set1_ps(kTwoSqrt2);
  const __m256 m1_plus_m2 = _mm256_add_ps(m[1], m[2]), m1_minus_m2 = _mm256_sub_ps(m[1], m[2]);
  const __m256 m3_plus_m4 = _mm256_add_ps(m[3], m[4]), m3_minus_m4 = _mm256_sub_ps(m[3], m[4]);
  y[0] = _mm256_add_ps(_mm256_add_ps(m[0], m1_plus_m2), m3_plus_m4);
  y[1] = _mm256_fmadd_ps(sqrt2, m3_minus_m4, _mm256_mul_ps(half_sqrt2, m1_minus_m2));
  y[2] = _mm256_fmadd_ps(two, m3_plus_m4, _mm256_mul_ps(half, m1_plus_m2));
  y[3] = _mm256_add_ps(_mm256_fmadd_ps(two_sqrt2, m3_minus_m4, _mm256_mul_ps(quarter_sqrt2, m1_minus_m2)), m[5]);
}

// V of one 6x6 tile whose top-left input pixel is (y0, x0) (may lie in the padding), for the 8
// channels of `plane` (an nChw8c channel block): 36 vectors at v + position * position_stride.
UPRES_AVX2_FMA void transform_input_tile(const float* plane, const Geometry& g, int64_t y0, int64_t x0, float* v,
                                         int64_t position_stride) {
  __m256 d[6][6];
  if (y0 >= 0 && x0 >= 0 && y0 + 6 <= g.h && x0 + 6 <= g.w) {
    for (int r = 0; r < 6; ++r) {
      const float* row = plane + ((y0 + r) * g.w + x0) * 8;
      for (int c = 0; c < 6; ++c) d[r][c] = _mm256_loadu_ps(row + c * 8);
    }
  } else {
    for (int r = 0; r < 6; ++r) {
      const int64_t y = y0 + r;
      for (int c = 0; c < 6; ++c) {
        const int64_t x = x0 + c;
        const bool inside = y >= 0 && y < g.h && x >= 0 && x < g.w;
        d[r][c] = inside ? _mm256_loadu_ps(plane + (y * g.w + x) * 8) : _mm256_setzero_ps();
      }
    }
  }
  __m256 t[6][6];  // B^T d
  for (int c = 0; c < 6; ++c) {
    __m256 column[6], out[6];
    for (int r = 0; r < 6; ++r) column[r] = d[r][c];
    input_transform6(column, out);
    for (int r = 0; r < 6; ++r) t[r][c] = out[r];
  }
  for (int r = 0; r < 6; ++r) {
    __m256 out[6];
    input_transform6(t[r], out);
    for (int c = 0; c < 6; ++c) _mm256_storeu_ps(v + (r * 6 + c) * position_stride, out[c]);
  }
}

// m[r][0..16) = sum_k v[r][k] * u[k][0..16) for kRowsHere tiles r (rows in_c apart in v,
// m_stride apart in m). Named accumulators, not arrays: GCC kept an array of them on the stack,
// storing each after its FMA (store-bound, half the FMA rate).
#define UPRES_WINO_ROW_FMA(i)                                              \
  if constexpr (kRowsHere > i) {                                           \
    const __m256 a = _mm256_broadcast_ss(v + i * in_c + k);                \
    low##i = _mm256_fmadd_ps(a, u_low, low##i);                            \
    high##i = _mm256_fmadd_ps(a, u_high, high##i);                         \
  }
#define UPRES_WINO_ROW_STORE(i)                                            \
  if constexpr (kRowsHere > i) {                                           \
    _mm256_storeu_ps(m + i * m_stride, low##i);                            \
    _mm256_storeu_ps(m + i * m_stride + 8, high##i);                       \
  }
template <int kRowsHere>
UPRES_AVX2_FMA inline void gemm_rows(const float* v, int64_t in_c, const float* u, float* m, int64_t m_stride) {
  __m256 low0 = _mm256_setzero_ps(), high0 = low0, low1 = low0, high1 = low0, low2 = low0, high2 = low0;
  __m256 low3 = low0, high3 = low0, low4 = low0, high4 = low0, low5 = low0, high5 = low0;
  for (int64_t k = 0; k < in_c; ++k) {
    const __m256 u_low = _mm256_loadu_ps(u + k * 16);
    const __m256 u_high = _mm256_loadu_ps(u + k * 16 + 8);
    UPRES_WINO_ROW_FMA(0)
    UPRES_WINO_ROW_FMA(1)
    UPRES_WINO_ROW_FMA(2)
    UPRES_WINO_ROW_FMA(3)
    UPRES_WINO_ROW_FMA(4)
    UPRES_WINO_ROW_FMA(5)
  }
  UPRES_WINO_ROW_STORE(0)
  UPRES_WINO_ROW_STORE(1)
  UPRES_WINO_ROW_STORE(2)
  UPRES_WINO_ROW_STORE(3)
  UPRES_WINO_ROW_STORE(4)
  UPRES_WINO_ROW_STORE(5)
}
#undef UPRES_WINO_ROW_FMA
#undef UPRES_WINO_ROW_STORE

UPRES_AVX2_FMA void gemm_tail(int rows, const float* v, int64_t in_c, const float* u, float* m, int64_t m_stride) {
  switch (rows) {
    case 1: gemm_rows<1>(v, in_c, u, m, m_stride); break;
    case 2: gemm_rows<2>(v, in_c, u, m, m_stride); break;
    case 3: gemm_rows<3>(v, in_c, u, m, m_stride); break;
    case 4: gemm_rows<4>(v, in_c, u, m, m_stride); break;
    case 5: gemm_rows<5>(v, in_c, u, m, m_stride); break;
    default: break;
  }
}

// leaky relu or prelu with negative slope alpha (relu: alpha 0), or the identity.
UPRES_AVX2_FMA inline __m256 activate(__m256 x, bool active, __m256 alpha) {
  if (!active) return x;
  const __m256 zero = _mm256_setzero_ps();
  return _mm256_fmadd_ps(alpha, _mm256_min_ps(x, zero), _mm256_max_ps(x, zero));
}

// Y = A^T M A of one tile for the 8 output channels at m (36 vectors position_stride apart),
// fused with the epilogue, stored at output pixels (y0.., x0..) that exist. dst_plane and
// residual_plane: the nChw8c channel block's first pixel (residual_plane may be null).
UPRES_AVX2_FMA void transform_output_tile(const float* m, int64_t position_stride, const Geometry& g,
                                          const WinogradEpilogue& e, __m256 bias, __m256 alpha,
                                          const float* residual_plane,
                                          float* dst_plane, int64_t y0, int64_t x0) {
  __m256 t[4][6];  // A^T M
  for (int c = 0; c < 6; ++c) {
    __m256 column[6], out[4];
    for (int r = 0; r < 6; ++r) column[r] = _mm256_loadu_ps(m + (r * 6 + c) * position_stride);
    output_transform6(column, out);
    for (int r = 0; r < 4; ++r) t[r][c] = out[r];
  }
  const bool active = e.activation != Activation::kNone;
  const __m256 scale = _mm256_set1_ps(e.scale);
  const bool scaled = e.scale != 1.0f;
  const bool after_residual = e.activation_after_residual && residual_plane != nullptr;
  const int64_t rows = std::min<int64_t>(4, g.oh - y0), columns = std::min<int64_t>(4, g.ow - x0);
  for (int64_t r = 0; r < rows; ++r) {
    __m256 y[4];
    output_transform6(t[r], y);
    for (int64_t c = 0; c < columns; ++c) {
      const int64_t at = ((y0 + r) * g.ow + x0 + c) * 8;
      __m256 value = _mm256_add_ps(y[c], bias);
      if (after_residual) {
        value = activate(_mm256_fmadd_ps(scale, value, _mm256_loadu_ps(residual_plane + at)), active, alpha);
      } else {
        value = activate(value, active, alpha);
        if (scaled) value = _mm256_mul_ps(value, scale);
        if (residual_plane != nullptr) value = _mm256_add_ps(value, _mm256_loadu_ps(residual_plane + at));
      }
      _mm256_storeu_ps(dst_plane + at, value);
    }
  }
}

}  // namespace

UPRES_AVX2_FMA void winograd_run_block_avx2(const WinogradGeometry& g, const WinogradOperands& o, int64_t first,
                                            int64_t count, float* v, float* m) {
  const int64_t in_blocks = g.in_c / 8, out_blocks = (g.out_c + 7) / 8, column_blocks = g.out_padded / 16;
  const int64_t v_position = g.v_position, m_position = g.m_position;
  const int64_t tiles_per_image = g.tiles_h * g.tiles_w;
  for (int64_t cb = 0; cb < in_blocks; ++cb) {
    for (int64_t t = 0; t < count; ++t) {
      const int64_t tile = first + t, n = tile / tiles_per_image, in_image = tile % tiles_per_image;
      const int64_t y0 = in_image / g.tiles_w * 4 - g.pad, x0 = in_image % g.tiles_w * 4 - g.pad;
      const float* plane = o.src + (n * in_blocks + cb) * g.h * g.w * 8;
      transform_input_tile(plane, g, y0, x0, v + t * g.in_c + cb * 8, v_position);
    }
  }
  const int64_t full_rows = count / kRows * kRows;
  for (int64_t position = 0; position < 36; ++position) {
    const float* v_at = v + position * v_position;
    float* m_at = m + position * m_position;
    for (int64_t column = 0; column < column_blocks; ++column) {
      const float* u = o.u + (position * column_blocks + column) * g.in_c * 16;
      for (int64_t r = 0; r < full_rows; r += kRows) {
        gemm_rows<kRows>(v_at + r * g.in_c, g.in_c, u, m_at + r * g.out_padded + column * 16, g.out_padded);
      }
      if (full_rows < count) {
        gemm_tail(static_cast<int>(count - full_rows), v_at + full_rows * g.in_c, g.in_c, u,
                  m_at + full_rows * g.out_padded + column * 16, g.out_padded);
      }
    }
  }
  for (int64_t ob = 0; ob < out_blocks; ++ob) {
    const __m256 bias = _mm256_loadu_ps(o.bias + ob * 8);
    const __m256 alpha = _mm256_loadu_ps(o.negative_slopes + ob * 8);
    for (int64_t t = 0; t < count; ++t) {
      const int64_t tile = first + t, n = tile / tiles_per_image, in_image = tile % tiles_per_image;
      const int64_t y0 = in_image / g.tiles_w * 4, x0 = in_image % g.tiles_w * 4;
      const int64_t plane_offset = (n * out_blocks + ob) * g.oh * g.ow * 8;
      const float* residual_plane = o.residual != nullptr ? o.residual + plane_offset : nullptr;
      transform_output_tile(m + t * g.out_padded + ob * 8, m_position, g, *o.epilogue, bias, alpha, residual_plane,
                            o.dst + plane_offset, y0, x0);
    }
  }
}

}  // namespace upres::engine::cpu
