// WinogradAvx2Conv: an fp32 Winograd F(4x4, 3x3) convolution for AVX2+FMA CPUs, on activations in
// the nChw8c layout the cpu plan keeps on AVX2. oneDNN 2.6 has Winograd kernels for AVX-512 only,
// so an AVX2 CPU ran every 3x3 convolution on its direct jit:avx2 kernel. Per execution: the
// input transform V = B^T d B of 6x6 input tiles (8 channels per ymm register), 36 independent
// GEMMs [tiles x Cin] x [Cin x Cout] on a register-blocked FMA micro-kernel against weights
// transformed once at create() (U = G g G^T), and the output transform Y = A^T M A fused with
// bias, activation, scale and residual, written straight into the nChw8c output. Tiles are taken
// in blocks whose V and M stay in L2; blocks run in parallel on the OpenMP threads.
// The kernel functions are compiled for avx2,fma alone (winograd_avx2_kernels.cpp): never call
// run() where cpu_runs_winograd_avx2() is false.
// Immutable after create(); run() may be called concurrently on distinct outputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "engine/op.h"

namespace upres::engine::cpu {

// A 3x3, stride 1, dilation 1, single-group convolution with `pad` zero pixels on every side.
struct WinogradAvx2Shape {
  int64_t batch = 1, in_channels = 0, out_channels = 0, in_height = 0, in_width = 0, pad = 1;
  int64_t out_height() const { return in_height + 2 * pad - 2; }
  int64_t out_width() const { return in_width + 2 * pad - 2; }
  // Multiply-adds x 2 of one execution, counted as the direct convolution would do them.
  double flop() const {
    return 2.0 * static_cast<double>(batch * out_height() * out_width()) * static_cast<double>(in_channels) *
           static_cast<double>(out_channels) * 9.0;
  }
};

// What the output transform applies to c = conv + bias, as PostOps does (op.h):
// y = scale * act(c) (+ r), or with activation_after_residual y = act(scale * c + r).
struct WinogradAvx2Epilogue {
  Activation activation = Activation::kNone;  // kNone, kRelu or kLeakyRelu
  float alpha = 0.0f;                         // leaky relu's negative slope (0 for relu)
  float scale = 1.0f;
  bool has_residual = false;
  bool activation_after_residual = false;
};

// Whether this CPU executes AVX2 and FMA instructions (the kernels need both).
bool cpu_runs_winograd_avx2();
// Whether the kernel takes this geometry: channels multiples of 8 and at least 16, padding 0..2,
// a non-empty output.
bool winograd_avx2_takes(const WinogradAvx2Shape& shape);
// Whether the kernel takes the activation (none, relu, leaky relu).
bool winograd_avx2_takes(Activation activation);

class WinogradAvx2Conv {
 public:
  // weights: PyTorch order [out, in, 3, 3]; bias: out_channels floats or empty (zero bias).
  static Result<WinogradAvx2Conv> create(const WinogradAvx2Shape& shape, const WinogradAvx2Epilogue& epilogue,
                                         std::span<const float> weights, std::span<const float> bias);

  const WinogradAvx2Shape& shape() const { return shape_; }
  const WinogradAvx2Epilogue& epilogue() const { return epilogue_; }

  // src [batch, in, H, W], dst and residual [batch, out, OH, OW], all nChw8c fp32, dense.
  // residual: given iff epilogue().has_residual; it may be dst itself. src must not overlap dst.
  // Runs on the calling thread's OpenMP team. Requires: cpu_runs_winograd_avx2().
  void run(const float* src, const float* residual, float* dst) const;

 private:
  WinogradAvx2Conv() = default;

  WinogradAvx2Shape shape_;
  WinogradAvx2Epilogue epilogue_;
  // U[36][out_padded / 16][in][16] (winograd_avx2_weights.cpp) and the bias padded to out_padded.
  std::shared_ptr<const std::vector<float>> transformed_weights_;
  std::shared_ptr<const std::vector<float>> bias_;
  int64_t out_padded_ = 0;  // out_channels rounded up to 16, the micro-kernel's column width
};

// The transformed weights U = G g G^T of PyTorch-order weights, laid out
// [36][out_padded / 16][in][16] with zero columns past out_channels. (winograd_avx2_weights.cpp)
std::vector<float> winograd_avx2_transform_weights(std::span<const float> weights, int64_t out_channels,
                                                   int64_t in_channels, int64_t out_padded);

}  // namespace upres::engine::cpu
