// upres's Winograd F(4x4, 3x3) convolution (winograd_conv.h), its AVX2 (nChw8c) and AVX-512
// (nChw16c) kernels each: against a direct convolution in double on random data (odd sizes 1..37
// px, 16..128 channels, padding 0..2, bias, relu / leaky relu / prelu, scale, residual before or
// after the activation, batch 2), its rounding on wide convolutions against a direct fp32 sum, and the
// geometries it refuses. A kernel runs wherever the CPU has its instructions (under any cap); the
// cpu plan's use of it: cpu_winograd_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/winograd_conv.h"

namespace upres::engine {
namespace {

using cpu::WinogradConv;
using cpu::WinogradEpilogue;
using cpu::WinogradIsa;
using cpu::WinogradShape;

std::vector<float> uniform(size_t count, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

// Offset of element (b, ch, p) of an [n, c, h*w] tensor in nChw<k>c (the last block zero-padded).
size_t blocked_at(int64_t b, int64_t ch, int64_t p, int64_t c, int64_t hw, int64_t k) {
  return static_cast<size_t>((((b * ((c + k - 1) / k) + ch / k) * hw) + p) * k + ch % k);
}

size_t blocked_size(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k) {
  return static_cast<size_t>(n * ((c + k - 1) / k) * k * h * w);
}

// NCHW <-> nChw<k>c (padded lanes 0).
std::vector<float> to_blocked(const std::vector<float>& plain, int64_t n, int64_t c, int64_t h, int64_t w, int64_t k) {
  std::vector<float> blocked(blocked_size(n, c, h, w, k), 0.0f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < h * w; ++p)
        blocked[blocked_at(b, ch, p, c, h * w, k)] = plain[static_cast<size_t>((b * c + ch) * h * w + p)];
  return blocked;
}

std::vector<float> from_blocked(const std::vector<float>& blocked, int64_t n, int64_t c, int64_t h, int64_t w,
                                int64_t k) {
  std::vector<float> plain(static_cast<size_t>(n * c * h * w));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < h * w; ++p)
        plain[static_cast<size_t>((b * c + ch) * h * w + p)] = blocked[blocked_at(b, ch, p, c, h * w, k)];
  return plain;
}

// The epilogue's activation of output channel o.
double activate(const WinogradEpilogue& e, double x, int64_t o) {
  if (e.activation == Activation::kNone || x >= 0.0) return x;
  if (e.activation == Activation::kPrelu) return e.prelu_slopes[e.prelu_slopes.size() == 1 ? 0 : o] * x;
  return e.activation == Activation::kLeakyRelu ? e.alpha * x : 0.0;
}

// The convolution with its epilogue, in double, NCHW.
std::vector<float> direct_conv(const WinogradShape& s, const WinogradEpilogue& e, const std::vector<float>& x,
                               const std::vector<float>& weights, const std::vector<float>& bias,
                               const std::vector<float>& residual) {
  const int64_t oh = s.out_height(), ow = s.out_width();
  std::vector<float> y(static_cast<size_t>(s.batch * s.out_channels * oh * ow));
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t o = 0; o < s.out_channels; ++o) {
      for (int64_t r = 0; r < oh; ++r) {
        for (int64_t c = 0; c < ow; ++c) {
          double sum = bias.empty() ? 0.0 : bias[static_cast<size_t>(o)];
          for (int64_t i = 0; i < s.in_channels; ++i) {
            for (int64_t kr = 0; kr < 3; ++kr) {
              const int64_t yy = r + kr - s.pad;
              if (yy < 0 || yy >= s.in_height) continue;
              for (int64_t kc = 0; kc < 3; ++kc) {
                const int64_t xx = c + kc - s.pad;
                if (xx < 0 || xx >= s.in_width) continue;
                sum += static_cast<double>(weights[static_cast<size_t>(((o * s.in_channels + i) * 3 + kr) * 3 + kc)]) *
                       x[static_cast<size_t>(((n * s.in_channels + i) * s.in_height + yy) * s.in_width + xx)];
              }
            }
          }
          const size_t at = static_cast<size_t>(((n * s.out_channels + o) * oh + r) * ow + c);
          const double res = e.has_residual ? residual[at] : 0.0;
          y[at] = static_cast<float>(e.has_residual && e.activation_after_residual
                                         ? activate(e, e.scale * sum + res, o)
                                         : e.scale * activate(e, sum, o) + res);
        }
      }
    }
  }
  return y;
}

struct KernelCase {
  int64_t batch, in_c, out_c, h, w, pad;
  Activation activation;
  bool residual, after_residual, with_bias;
  float scale;
};

// Max |winograd - direct| over the case's output, and max |direct|.
std::pair<double, double> max_difference(WinogradIsa isa, const KernelCase& k, std::mt19937& rng) {
  const WinogradShape s{k.batch, k.in_c, k.out_c, k.h, k.w, k.pad};
  const int64_t block = cpu::winograd_channel_block(isa);
  WinogradEpilogue e;
  e.activation = k.activation;
  e.alpha = k.activation == Activation::kLeakyRelu ? 0.2f : 0.0f;
  // prelu: a slope per channel (negative ones too), or one for all after a residual.
  if (k.activation == Activation::kPrelu) e.prelu_slopes = uniform(k.after_residual ? 1 : k.out_c, rng, 0.6f);
  e.scale = k.scale;
  e.has_residual = k.residual;
  e.activation_after_residual = k.after_residual;
  const int64_t oh = s.out_height(), ow = s.out_width();
  const std::vector<float> x = uniform(static_cast<size_t>(k.batch * k.in_c * k.h * k.w), rng, 1.0f);
  // Fan-in scaled weights keep outputs near unit size, like a trained network's.
  const std::vector<float> w = uniform(static_cast<size_t>(k.out_c * k.in_c * 9), rng,
                                       1.7f / std::sqrt(static_cast<float>(k.in_c * 9)));
  const std::vector<float> b = k.with_bias ? uniform(static_cast<size_t>(k.out_c), rng, 0.5f) : std::vector<float>{};
  const std::vector<float> r =
      k.residual ? uniform(static_cast<size_t>(k.batch * k.out_c * oh * ow), rng, 1.0f) : std::vector<float>{};
  auto conv = WinogradConv::create(isa, s, e, w, b);
  EXPECT_TRUE(conv.is_ok()) << conv.status().to_string();
  if (!conv.is_ok()) return {1e9, 0.0};
  const std::vector<float> x_blocked = to_blocked(x, k.batch, k.in_c, k.h, k.w, block);
  // The residual is accumulated in place (dst holds it), as the plan may do.
  std::vector<float> y_blocked = k.residual ? to_blocked(r, k.batch, k.out_c, oh, ow, block)
                                            : std::vector<float>(blocked_size(k.batch, k.out_c, oh, ow, block), 7.0f);
  conv->run(x_blocked.data(), k.residual ? y_blocked.data() : nullptr, y_blocked.data());
  const std::vector<float> got = from_blocked(y_blocked, k.batch, k.out_c, oh, ow, block);
  // A partial last block's padded lanes must come out 0 (later ops read whole blocks).
  for (int64_t b = 0; b < k.batch; ++b) {
    for (int64_t ch = k.out_c; ch % block != 0; ++ch) {
      for (int64_t p = 0; p < oh * ow; ++p) {
        EXPECT_EQ(y_blocked[blocked_at(b, ch, p, k.out_c, oh * ow, block)], 0.0f) << "padded channel " << ch;
      }
    }
  }
  const std::vector<float> want = direct_conv(s, e, x, w, b, r);
  double diff = 0.0, magnitude = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(got[i] - want[i])));
    magnitude = std::max(magnitude, static_cast<double>(std::abs(want[i])));
  }
  return {diff, magnitude};
}

// The kernels of each instruction set, where this CPU runs them.
class CpuWinogradKernelTest : public ::testing::TestWithParam<WinogradIsa> {
 protected:
  void SetUp() override {
    if (!cpu::cpu_runs_winograd(GetParam()))
      GTEST_SKIP() << (GetParam() == WinogradIsa::kAvx2 ? "this CPU has no AVX2+FMA" : "this CPU has no AVX-512 F");
  }
};

INSTANTIATE_TEST_SUITE_P(Isa, CpuWinogradKernelTest, ::testing::Values(WinogradIsa::kAvx2, WinogradIsa::kAvx512),
                         [](const ::testing::TestParamInfo<WinogradIsa>& info) {
                           return info.param == WinogradIsa::kAvx2 ? "Avx2" : "Avx512";
                         });

TEST_P(CpuWinogradKernelTest, MatchesDirectConvolutionOnOddSizesAndEpilogues) {
  // Channels in multiples of 16 run on both kernels; 24, 40, 56 (multiples of 8 only) on AVX2's.
  const bool avx2 = GetParam() == WinogradIsa::kAvx2;
  const std::vector<KernelCase> cases = {
      {1, 16, 16, 1, 1, 1, Activation::kNone, false, false, true, 1.0f},
      {1, 16, avx2 ? 24 : 48, 2, 3, 1, Activation::kRelu, false, false, true, 1.0f},
      {1, avx2 ? 24 : 48, 16, 5, 7, 1, Activation::kLeakyRelu, false, false, true, 1.0f},
      {1, 32, 32, 13, 9, 0, Activation::kNone, true, false, false, 1.0f},
      {1, 64, 64, 37, 29, 1, Activation::kLeakyRelu, true, true, true, 1.0f},
      {1, 64, 32, 20, 37, 1, Activation::kLeakyRelu, true, false, true, 0.2f},
      {1, 32, 64, 17, 4, 2, Activation::kRelu, true, true, true, 0.5f},
      {2, 48, avx2 ? 40 : 80, 11, 15, 1, Activation::kNone, false, false, true, 1.0f},
      {1, avx2 ? 56 : 96, 48, 36, 33, 1, Activation::kNone, true, false, true, 1.0f},
      {1, 16, 64, 8, 8, 1, Activation::kLeakyRelu, false, false, true, 0.2f},
      {1, 128, 32, 27, 30, 1, Activation::kLeakyRelu, false, false, true, 1.0f},  // more tiles than a block
      {1, 64, 48, 19, 23, 1, Activation::kPrelu, false, false, true, 1.0f},  // AnimeVideo's last 64->48
      {1, 32, 32, 10, 9, 1, Activation::kPrelu, true, false, true, 0.5f},
      {1, 16, 16, 6, 6, 1, Activation::kPrelu, true, true, true, 1.0f},
      {1, 64, 3, 21, 18, 1, Activation::kNone, false, false, true, 1.0f},  // a network's last conv to RGB
      {2, 32, 3, 9, 14, 1, Activation::kNone, true, false, true, 1.0f},   // + the residual (padded lanes 0)
      {1, 16, avx2 ? 5 : 13, 7, 7, 1, Activation::kLeakyRelu, false, false, true, 1.0f},
  };
  std::mt19937 rng(21);
  for (const KernelCase& k : cases) {
    const auto [diff, magnitude] = max_difference(GetParam(), k, rng);
    // fp32 Winograd F(4x4, 3x3) rounds to ~1e-5 of the output's size (oneDNN's does the same).
    EXPECT_LE(diff, 1e-4 * std::max(1.0, magnitude))
        << k.in_c << "->" << k.out_c << " on " << k.batch << "x" << k.h << "x" << k.w << " pad " << k.pad
        << " (max |y| " << magnitude << ")";
    EXPECT_GT(magnitude, 0.1) << "the case computed nothing";
  }
}

// Mean |error| against the exact (double) convolution over the output, of the kernel and of a plain
// fp32 direct sum (taps accumulated in order, as a direct kernel does), for one wide convolution.
std::pair<double, double> mean_errors_against_exact(WinogradIsa isa, int64_t in_c, int64_t out_c, int64_t side,
                                                    std::mt19937& rng) {
  const WinogradShape s{1, in_c, out_c, side, side, 1};
  const int64_t block = cpu::winograd_channel_block(isa);
  const std::vector<float> x = uniform(static_cast<size_t>(in_c * side * side), rng, 1.0f);
  const std::vector<float> w =
      uniform(static_cast<size_t>(out_c * in_c * 9), rng, 1.7f / std::sqrt(static_cast<float>(in_c * 9)));
  auto conv = WinogradConv::create(isa, s, {}, w, {});
  EXPECT_TRUE(conv.is_ok()) << conv.status().to_string();
  if (!conv.is_ok()) return {1e9, 1.0};
  std::vector<float> y_blocked(static_cast<size_t>(out_c * side * side));
  conv->run(to_blocked(x, 1, in_c, side, side, block).data(), nullptr, y_blocked.data());
  const std::vector<float> got = from_blocked(y_blocked, 1, out_c, side, side, block);
  const std::vector<float> exact = direct_conv(s, {}, x, w, {}, {});
  double winograd_error = 0.0, direct_error = 0.0;
  for (int64_t o = 0; o < out_c; ++o) {
    for (int64_t r = 0; r < side; ++r) {
      for (int64_t c = 0; c < side; ++c) {
        float sum = 0.0f;
        for (int64_t i = 0; i < in_c; ++i)
          for (int64_t kr = 0; kr < 3; ++kr)
            for (int64_t kc = 0; kc < 3; ++kc) {
              const int64_t yy = r + kr - 1, xx = c + kc - 1;
              if (yy < 0 || yy >= side || xx < 0 || xx >= side) continue;
              sum += w[static_cast<size_t>(((o * in_c + i) * 3 + kr) * 3 + kc)] *
                     x[static_cast<size_t>((i * side + yy) * side + xx)];
            }
        const size_t at = static_cast<size_t>((o * side + r) * side + c);
        winograd_error += std::abs(static_cast<double>(got[at]) - exact[at]);
        direct_error += std::abs(static_cast<double>(sum) - exact[at]);
      }
    }
  }
  return {winograd_error, direct_error};
}

// Wide convolutions (RRDBNet's 192-channel dense-block inputs, a face restorer's 512) take the
// kernel too, so its fp32 rounding must stay near a direct sum's. With Lavin & Gray's points
// (0, +-1, +-2) the mean error was ~3x the direct sum's in a simulation of this kernel; with
// 0, +-sqrt(2)/2, +-sqrt(2) it is under 2x.
TEST_P(CpuWinogradKernelTest, WideConvolutionsRoundNearlyAsFinelyAsADirectSum) {
  std::mt19937 rng(47);
  for (const auto& [in_c, out_c] : std::vector<std::pair<int64_t, int64_t>>{{192, 32}, {512, 16}}) {
    const auto [winograd_error, direct_error] = mean_errors_against_exact(GetParam(), in_c, out_c, 24, rng);
    std::cout << "[ ERROR ] " << in_c << "->" << out_c << ": Winograd / direct fp32 mean error "
              << winograd_error / direct_error << "\n";
    EXPECT_LE(winograd_error, 2.5 * direct_error) << in_c << "->" << out_c;
  }
}

TEST(CpuWinogradKernelGeometryTest, RejectsGeometriesOutsideTheKernel) {
  constexpr WinogradIsa kAvx2 = WinogradIsa::kAvx2, kAvx512 = WinogradIsa::kAvx512;
  std::vector<float> w(16 * 12 * 9, 0.0f);
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 12, 16, 8, 8, 1}, {}, w, {}).is_ok()) << "12 channels: not 8k";
  w.assign(16 * 24 * 9, 0.0f);
  EXPECT_TRUE(WinogradConv::create(kAvx2, {1, 24, 16, 8, 8, 1}, {}, w, {}).is_ok());
  EXPECT_FALSE(WinogradConv::create(kAvx512, {1, 24, 16, 8, 8, 1}, {}, w, {}).is_ok()) << "24 channels: not 16k";
  w.assign(3 * 16 * 9, 0.0f);
  EXPECT_TRUE(WinogradConv::create(kAvx512, {1, 16, 3, 8, 8, 1}, {}, w, {}).is_ok()) << "3 outputs: one padded block";
  w.assign(12 * 16 * 9, 0.0f);
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 12, 8, 8, 1}, {}, w, {}).is_ok()) << "12 outputs: 1.5 blocks";
  w.assign(16 * 16 * 9, 0.0f);
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 3}, {}, w, {}).is_ok()) << "padding 3";
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, {}, std::vector<float>(10), {}).is_ok()) << "weights";
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, {}, w, std::vector<float>(3)).is_ok()) << "bias";
  WinogradEpilogue sigmoid;
  sigmoid.activation = Activation::kSigmoid;
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, sigmoid, w, {}).is_ok());
  WinogradEpilogue prelu;
  prelu.activation = Activation::kPrelu;
  prelu.prelu_slopes.assign(3, 0.25f);
  EXPECT_FALSE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, prelu, w, {}).is_ok()) << "3 slopes, 16 channels";
  prelu.prelu_slopes.assign(16, 0.25f);
  EXPECT_TRUE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, prelu, w, {}).is_ok());
  EXPECT_TRUE(WinogradConv::create(kAvx2, {1, 16, 16, 8, 8, 1}, {}, w, {}).is_ok());
  EXPECT_TRUE(WinogradConv::create(kAvx512, {1, 16, 16, 8, 8, 1}, {}, w, {}).is_ok());
}

}  // namespace
}  // namespace upres::engine
