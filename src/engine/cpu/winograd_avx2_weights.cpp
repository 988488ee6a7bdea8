// WinogradAvx2Conv's preparation: the geometry checks and the weight transform U = G g G^T, done
// once per convolution (in double, rounded once to float). Plain C++: runs on any CPU.
#include <string>

#include "engine/cpu/winograd_avx2.h"

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

}  // namespace

bool cpu_runs_winograd_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool winograd_avx2_takes(const WinogradAvx2Shape& s) {
  return s.batch >= 1 && s.in_channels >= 16 && s.out_channels >= 16 && s.in_channels % 8 == 0 &&
         s.out_channels % 8 == 0 && s.pad >= 0 && s.pad <= 2 && s.out_height() >= 1 && s.out_width() >= 1;
}

bool winograd_avx2_takes(Activation activation) {
  return activation == Activation::kNone || activation == Activation::kRelu || activation == Activation::kLeakyRelu;
}

std::vector<float> winograd_avx2_transform_weights(std::span<const float> weights, int64_t out_channels,
                                                   int64_t in_channels, int64_t out_padded) {
  const int64_t column_blocks = out_padded / 16;
  std::vector<float> u(static_cast<size_t>(36 * out_padded * in_channels), 0.0f);
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t i = 0; i < in_channels; ++i) {
      const float* g = weights.data() + (o * in_channels + i) * 9;
      double gg[6][3];  // G g
      for (int r = 0; r < 6; ++r) {
        for (int c = 0; c < 3; ++c) gg[r][c] = kG[r][0] * g[c] + kG[r][1] * g[3 + c] + kG[r][2] * g[6 + c];
      }
      for (int r = 0; r < 6; ++r) {
        for (int c = 0; c < 6; ++c) {
          const double value = gg[r][0] * kG[c][0] + gg[r][1] * kG[c][1] + gg[r][2] * kG[c][2];
          const int64_t position = r * 6 + c;
          const int64_t at = ((position * column_blocks + o / 16) * in_channels + i) * 16 + o % 16;
          u[static_cast<size_t>(at)] = static_cast<float>(value);
        }
      }
    }
  }
  return u;
}

Result<WinogradAvx2Conv> WinogradAvx2Conv::create(const WinogradAvx2Shape& shape, const WinogradAvx2Epilogue& epilogue,
                                                  std::span<const float> weights, std::span<const float> bias) {
  if (!winograd_avx2_takes(shape)) {
    return invalid_argument("winograd_avx2: conv " + std::to_string(shape.in_channels) + "->" +
                            std::to_string(shape.out_channels) + " pad " + std::to_string(shape.pad) +
                            " on " + std::to_string(shape.in_height) + "x" + std::to_string(shape.in_width) +
                            " is outside the kernel's geometry");
  }
  if (!winograd_avx2_takes(epilogue.activation)) return invalid_argument("winograd_avx2: unsupported activation");
  const size_t weight_count = static_cast<size_t>(shape.out_channels * shape.in_channels * 9);
  if (weights.size() != weight_count) {
    return invalid_argument("winograd_avx2: weight has " + std::to_string(weights.size()) + " values, geometry needs " +
                            std::to_string(weight_count));
  }
  if (!bias.empty() && bias.size() != static_cast<size_t>(shape.out_channels)) {
    return invalid_argument("winograd_avx2: bias has " + std::to_string(bias.size()) + " values, expected " +
                            std::to_string(shape.out_channels));
  }
  WinogradAvx2Conv conv;
  conv.shape_ = shape;
  conv.epilogue_ = epilogue;
  conv.out_padded_ = (shape.out_channels + 15) / 16 * 16;
  conv.transformed_weights_ = std::make_shared<const std::vector<float>>(
      winograd_avx2_transform_weights(weights, shape.out_channels, shape.in_channels, conv.out_padded_));
  std::vector<float> padded_bias(static_cast<size_t>(conv.out_padded_), 0.0f);
  std::copy(bias.begin(), bias.end(), padded_bias.begin());
  conv.bias_ = std::make_shared<const std::vector<float>>(std::move(padded_bias));
  return conv;
}

}  // namespace upres::engine::cpu
