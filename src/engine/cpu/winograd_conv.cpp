// WinogradConv: the geometry checks, the weight transform U = G g G^T done once per convolution
// (in double, rounded once to float), and run()'s split of the picture into blocks of tiles for the
// OpenMP threads. Plain C++: runs on any CPU; the SIMD halves are in winograd_*_kernels.cpp.
#include "engine/cpu/winograd_conv.h"

#include <algorithm>
#include <string>

#include "base/buffer_memory.h"
#include "base/slab_allocator.h"
#include "engine/cpu/winograd_kernels.h"

namespace upres::engine::cpu {
namespace {

// F(4x4, 3x3)'s kernel transform G (6x3) for the interpolation points 0, +-sqrt(2)/2, +-sqrt(2) and
// infinity (row j: (1, p, p^2) / prod(p - other finite points)). With Lavin & Gray's points 0, +-1,
// +-2 the fp32 error was ~1.6x larger in the mean and ~4x at the maximum on 192-channel sums
// (numpy simulation; CodeFormer's mean error against fp64 2.7e-6 against direct's 1.2e-6); these
// points keep the transformed values' magnitudes balanced, as oneDNN's AVX-512 kernel does.
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kG[6][3] = {
    {1.0, 0.0, 0.0},
    {-2.0 / 3, -kSqrt2 / 3, -1.0 / 3},
    {-2.0 / 3, kSqrt2 / 3, -1.0 / 3},
    {1.0 / 6, kSqrt2 / 6, 1.0 / 3},
    {1.0 / 6, -kSqrt2 / 6, 1.0 / 3},
    {0.0, 0.0, 1.0},
};

// Scratch (V and M) per block of tiles, sized to stay in L2 beside the weights: on AVX2 12 to 30
// tiles ran alike on 64->64 and 64->32 (1 thread, Zen 5 capped to AVX2), 48 tiles 1.4-1.7x slower.
constexpr int64_t kBlockScratchBytes = 384 * 1024;

constexpr int64_t kMaxGemmColumns = 32;  // winograd_gemm_columns(kAvx512)

int64_t rows_of(WinogradIsa isa) { return isa == WinogradIsa::kAvx512 ? kWinogradAvx512Rows : kWinogradAvx2Rows; }

int64_t tiles_per_block(WinogradIsa isa, int64_t in_c, int64_t out_padded) {
  const int64_t rows = rows_of(isa);
  const int64_t per_tile = 36 * (in_c + out_padded) * static_cast<int64_t>(sizeof(float));
  return std::max<int64_t>(rows, kBlockScratchBytes / per_tile / rows * rows);
}

}  // namespace

int64_t winograd_channel_block(WinogradIsa isa) { return isa == WinogradIsa::kAvx512 ? 16 : 8; }

int64_t winograd_gemm_columns(WinogradIsa isa) { return 2 * winograd_channel_block(isa); }

bool cpu_runs_winograd(WinogradIsa isa) {
#if defined(__x86_64__) || defined(__i386__)
  if (isa == WinogradIsa::kAvx512) return __builtin_cpu_supports("avx512f");
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool winograd_takes(const WinogradShape& s, WinogradIsa isa) {
  const int64_t block = winograd_channel_block(isa);
  const bool whole_blocks = s.out_channels >= 16 && s.out_channels % block == 0;
  const bool one_partial_block = s.out_channels >= 1 && s.out_channels < block;  // a network's RGB output
  return s.batch >= 1 && s.in_channels >= 16 && s.in_channels % block == 0 && (whole_blocks || one_partial_block) &&
         s.pad >= 0 && s.pad <= 2 && s.out_height() >= 1 && s.out_width() >= 1;
}

bool winograd_takes(Activation activation) {
  return activation == Activation::kNone || activation == Activation::kRelu || activation == Activation::kLeakyRelu ||
         activation == Activation::kPrelu;
}

std::shared_ptr<const float[]> winograd_transform_weights(std::span<const float> weights, int64_t out_channels,
                                                         int64_t in_channels, int64_t out_padded, int64_t columns) {
  // Out of shared huge-page slabs (base/slab_allocator.h): a network's hundreds of these buffers
  // otherwise fault in 4 KiB at a time at every start.
  static SlabAllocator slabs(size_t{32} << 20);
  const size_t count = static_cast<size_t>(36 * out_padded * in_channels);
  const std::shared_ptr<std::byte[]> bytes = slabs.allocate(count * sizeof(float));
  if (bytes == nullptr) return nullptr;
  const std::shared_ptr<float[]> u(bytes, reinterpret_cast<float*>(bytes.get()));
  const int64_t column_blocks = out_padded / columns;
  // Per input channel and column block of output channels, in double across the block's columns
  // (the inner loops run over consecutive output channels and vectorise); every value is written,
  // zero columns too, by the thread that first touches its pages.
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < in_channels; ++i) {
    for (int64_t block = 0; block < column_blocks; ++block) {
      double g[9][kMaxGemmColumns] = {};
      for (int64_t j = 0; j < columns; ++j) {
        const int64_t o = block * columns + j;
        if (o >= out_channels) break;
        for (int t = 0; t < 9; ++t) g[t][j] = weights[static_cast<size_t>((o * in_channels + i) * 9 + t)];
      }
      double gg[6][3][kMaxGemmColumns];  // G g
      for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 3; ++c)
          for (int64_t j = 0; j < columns; ++j)
            gg[r][c][j] = kG[r][0] * g[c][j] + kG[r][1] * g[3 + c][j] + kG[r][2] * g[6 + c][j];
      for (int r = 0; r < 6; ++r) {
        for (int c = 0; c < 6; ++c) {
          float* row = u.get() + (((r * 6 + c) * column_blocks + block) * in_channels + i) * columns;
          for (int64_t j = 0; j < columns; ++j)
            row[j] = static_cast<float>(gg[r][0][j] * kG[c][0] + gg[r][1][j] * kG[c][1] + gg[r][2][j] * kG[c][2]);
        }
      }
    }
  }
  return u;
}

Result<WinogradConv> WinogradConv::create(WinogradIsa isa, const WinogradShape& shape,
                                          const WinogradEpilogue& epilogue, std::span<const float> weights,
                                          std::span<const float> bias) {
  if (!winograd_takes(shape, isa)) {
    return invalid_argument("winograd: conv " + std::to_string(shape.in_channels) + "->" +
                            std::to_string(shape.out_channels) + " pad " + std::to_string(shape.pad) + " on " +
                            std::to_string(shape.in_height) + "x" + std::to_string(shape.in_width) +
                            " is outside the kernel's geometry");
  }
  if (!winograd_takes(epilogue.activation)) return invalid_argument("winograd: unsupported activation");
  const size_t weight_count = static_cast<size_t>(shape.out_channels * shape.in_channels * 9);
  if (weights.size() != weight_count) {
    return invalid_argument("winograd: weight has " + std::to_string(weights.size()) + " values, geometry needs " +
                            std::to_string(weight_count));
  }
  if (!bias.empty() && bias.size() != static_cast<size_t>(shape.out_channels)) {
    return invalid_argument("winograd: bias has " + std::to_string(bias.size()) + " values, expected " +
                            std::to_string(shape.out_channels));
  }
  const size_t slopes = epilogue.prelu_slopes.size();
  if (epilogue.activation == Activation::kPrelu && slopes != 1 && slopes != static_cast<size_t>(shape.out_channels)) {
    return invalid_argument("winograd: prelu has " + std::to_string(slopes) + " slopes for " +
                            std::to_string(shape.out_channels) + " channels");
  }
  WinogradConv conv;
  conv.isa_ = isa;
  conv.shape_ = shape;
  conv.epilogue_ = epilogue;
  const int64_t columns = winograd_gemm_columns(isa);
  conv.out_padded_ = (shape.out_channels + columns - 1) / columns * columns;
  conv.transformed_weights_ =
      winograd_transform_weights(weights, shape.out_channels, shape.in_channels, conv.out_padded_, columns);
  if (conv.transformed_weights_ == nullptr) return resource_exhausted("winograd: transformed weights");
  std::vector<float> padded_bias(static_cast<size_t>(conv.out_padded_), 0.0f);
  std::copy(bias.begin(), bias.end(), padded_bias.begin());
  conv.bias_ = std::make_shared<const std::vector<float>>(std::move(padded_bias));
  std::vector<float> negative_slopes(static_cast<size_t>(conv.out_padded_), 0.0f);
  for (size_t o = 0; o < static_cast<size_t>(shape.out_channels); ++o) {
    if (epilogue.activation == Activation::kLeakyRelu) negative_slopes[o] = epilogue.alpha;
    if (epilogue.activation == Activation::kPrelu) negative_slopes[o] = epilogue.prelu_slopes[slopes == 1 ? 0 : o];
  }
  conv.negative_slopes_ = std::make_shared<const std::vector<float>>(std::move(negative_slopes));
  return conv;
}

void WinogradConv::run(const float* src, const float* residual, float* dst) const {
  WinogradGeometry g;
  g.in_c = shape_.in_channels;
  g.out_c = shape_.out_channels;
  g.out_padded = out_padded_;
  g.h = shape_.in_height;
  g.w = shape_.in_width;
  g.oh = shape_.out_height();
  g.ow = shape_.out_width();
  g.pad = shape_.pad;
  g.tiles_h = (g.oh + 3) / 4;
  g.tiles_w = (g.ow + 3) / 4;
  g.tiles = shape_.batch * g.tiles_h * g.tiles_w;
  const int64_t rows = rows_of(isa_);
  g.block = std::min(tiles_per_block(isa_, g.in_c, g.out_padded), (g.tiles + rows - 1) / rows * rows);
  WinogradOperands o;
  o.src = src;
  o.residual = epilogue_.has_residual ? residual : nullptr;
  o.dst = dst;
  o.u = transformed_weights_.get();
  o.bias = bias_->data();
  o.negative_slopes = negative_slopes_->data();
  o.epilogue = &epilogue_;
  const int64_t blocks = (g.tiles + g.block - 1) / g.block;
  g.v_position = winograd_position_stride(g.block * g.in_c);
  g.m_position = winograd_position_stride(g.block * g.out_padded);
  const size_t v_floats = static_cast<size_t>(36 * g.v_position);
  const size_t scratch_floats = v_floats + static_cast<size_t>(36 * g.m_position);
  const bool avx512 = isa_ == WinogradIsa::kAvx512;
#pragma omp parallel
  {
    // Each OpenMP thread keeps its scratch across runs (the pool's threads persist), so no run
    // pays for fresh pages; 64-byte aligned, so no vector store splits a cache line.
    thread_local std::vector<float, BufferAllocator<float>> scratch;
    if (scratch.size() < scratch_floats) scratch.assign(scratch_floats, 0.0f);
    // Static: each thread keeps the same stretch of the picture from one conv to the next, so the
    // rows it wrote are still in its own cache when it reads them (dynamic scheduling made R-ESRGAN
    // 4x+ at 128 px 0.58 -> 0.64 s, 2 threads).
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t first = b * g.block, count = std::min(g.block, g.tiles - first);
      float* v = scratch.data();
      float* m = v + v_floats;
      if (avx512) {
        winograd_run_block_avx512(g, o, first, count, v, m);
      } else {
        winograd_run_block_avx2(g, o, first, count, v, m);
      }
    }
  }
}

}  // namespace upres::engine::cpu
