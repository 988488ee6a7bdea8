// WinogradConv: upres's own fp32 Winograd F(4x4, 3x3) convolution on the cpu plan's blocked
// activations: nChw8c on AVX2 CPUs (oneDNN 2.6 has no Winograd below AVX-512) and nChw16c on
// AVX-512 ones (oneDNN's jit_wino_4x3 there reorders its weights slowly and on one thread at every
// prepare, zero-fills a large scratchpad, and register-blocks the tiles by a divisor of their count,
// which leaves e.g. a 148 px map at 0.5-0.9x its direct kernel). Per execution: the input transform
// V = B^T d B of 6x6 input tiles (one channel block per vector register), 36 independent GEMMs
// [tiles x Cin] x [Cin x Cout] on a register-blocked FMA micro-kernel against weights transformed
// once at create() (U = G g G^T), and the output transform Y = A^T M A fused with bias, activation,
// scale and residual, written straight into the blocked output. Tiles are taken in blocks whose V
// and M stay in L2; blocks run in parallel on the OpenMP threads.
// The kernels are compiled per instruction set (winograd_avx2_kernels.cpp, winograd_avx512_kernels.cpp,
// each function with its target attribute): never run() where cpu_runs_winograd(isa) is false.
// Immutable after create(); run() may be called concurrently on distinct outputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "engine/op.h"

namespace upres::engine::cpu {

// The instruction set a WinogradConv runs on, which fixes its activation layout's channel block.
enum class WinogradIsa {
  kAvx2,    // AVX2 + FMA, nChw8c
  kAvx512,  // AVX-512 F, nChw16c
};
// Channels per block of the activation layout the kernel reads and writes: 8 or 16.
int64_t winograd_channel_block(WinogradIsa isa);

// A 3x3, stride 1, dilation 1, single-group convolution with `pad` zero pixels on every side.
struct WinogradShape {
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
struct WinogradEpilogue {
  Activation activation = Activation::kNone;  // kNone, kRelu, kLeakyRelu or kPrelu
  float alpha = 0.0f;                         // leaky relu's negative slope (0 for relu)
  std::vector<float> prelu_slopes;            // kPrelu: one slope per output channel, or one for all
  float scale = 1.0f;
  bool has_residual = false;
  bool activation_after_residual = false;
};

// Whether this CPU executes the instructions of `isa`'s kernels (AVX2 and FMA; AVX-512 F).
bool cpu_runs_winograd(WinogradIsa isa);
// Whether the kernel takes this geometry: input channels a multiple of the channel block and at
// least 16; output channels the same, or fewer than one block (a network's last conv to RGB: one
// zero-padded block, e.g. R-ESRGAN's 64->3 at 4x size ran 2.3x slower on oneDNN's direct kernel
// than its 64->64 neighbours per FLOP); padding 0..2; a non-empty output.
bool winograd_takes(const WinogradShape& shape, WinogradIsa isa);
// Whether the kernel takes the activation (none, relu, leaky relu, prelu).
bool winograd_takes(Activation activation);

class WinogradConv {
 public:
  // weights: PyTorch order [out, in, 3, 3]; bias: out_channels floats or empty (zero bias).
  static Result<WinogradConv> create(WinogradIsa isa, const WinogradShape& shape, const WinogradEpilogue& epilogue,
                                     std::span<const float> weights, std::span<const float> bias);

  WinogradIsa isa() const { return isa_; }
  const WinogradShape& shape() const { return shape_; }
  const WinogradEpilogue& epilogue() const { return epilogue_; }

  // src [batch, in, H, W], dst and residual [batch, out, OH, OW], all fp32 in the isa's blocked
  // layout (nChw8c or nChw16c), dense; fewer output channels than a block fill one zero-padded
  // block (the padded lanes are written 0; the residual's must be 0). residual: given iff epilogue().has_residual; it may be dst
  // itself. src must not overlap dst. Runs on the calling thread's OpenMP team.
  // Requires: cpu_runs_winograd(isa()).
  void run(const float* src, const float* residual, float* dst) const;

 private:
  WinogradConv() = default;

  WinogradIsa isa_ = WinogradIsa::kAvx2;
  WinogradShape shape_;
  WinogradEpilogue epilogue_;
  // U[36][out_padded / columns][in][columns] (winograd_conv.cpp), the bias and the activation's
  // negative slope per output channel (relu 0, leaky relu alpha, prelu its slopes), padded to out_padded.
  std::shared_ptr<const float[]> transformed_weights_;
  std::shared_ptr<const std::vector<float>> bias_;
  std::shared_ptr<const std::vector<float>> negative_slopes_;
  int64_t out_padded_ = 0;  // out_channels rounded up to the micro-kernel's column width
};

// The micro-kernel's column width (output channels per GEMM column block): two vector registers,
// 16 on AVX2, 32 on AVX-512.
int64_t winograd_gemm_columns(WinogradIsa isa);

// The transformed weights U = G g G^T of PyTorch-order weights, laid out
// [36][out_padded / columns][in][columns] with zero columns past out_channels; nullptr when out of
// memory. (winograd_conv.cpp)
std::shared_ptr<const float[]> winograd_transform_weights(std::span<const float> weights, int64_t out_channels,
                                                         int64_t in_channels, int64_t out_padded, int64_t columns);

}  // namespace upres::engine::cpu
