// ModulatedConv2d: StyleGAN2's style-modulated convolution (clean version, bilinear upsampling).
// conv(x, w * s[i] * d[o]) is computed as conv(x * s, w) * d: the weight stays constant, so the
// graph is compiled once, and each face's per-channel modulation s and demodulation d are computed
// from its style inside the graph (factors()), in fp32. Folding them into a per-face weight
// instead cost a graph compile and a weight reorder per face (~190 ms of a 1.2 s GFPGAN face).
// Immutable after binding; thread-safe.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models {

struct ModulatedConv2dShape {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int kernel = 3;
  int64_t num_style_feat = 0;
  bool demodulate = true;
  bool upsample = false;  // F.interpolate(x, scale 2, bilinear, align_corners=False) first
};

// How a graph computes the modulation factors' sums over channels: as 1x1 convolutions of one
// pixel (weights laid out for the kernel once at prepare; the cpu backend's [1, F] x [F, C] matmul
// repacks them on every run, ~0.5 ms each), which run in the plan's compute dtype; or as linears,
// which the cpu backend keeps in fp32 in a bf16 plan too (bf16 sums cost GFPGAN ~1 dB of PSNR).
enum class FactorSums { kConv1x1, kLinear };

class ModulatedConv2d {
 public:
  ModulatedConv2d() = default;

  // Binds "<key>.weight" [1, out, in, k, k] and "<key>.modulation.{weight [in, F], bias [in]}".
  static Result<ModulatedConv2d> bind(const nn::StateDict& weights, const std::string& key,
                                      const ModulatedConv2dShape& shape);

  // One style's factors as graph values, from style [1, num_style_feat]: scale [1, in, 1, 1] =
  // modulation(style); when demodulating, demod [1, out, 1, 1] = gain / sqrt(sum_i,k (w * scale)^2
  // + 1e-8), computed as gain * (sum_i (sum_k w^2) * scale_i^2 + 1e-8)^-1/2 (else invalid: gain
  // must be 1). The sums over channels run as `sums` says.
  struct Factors {
    engine::Value scale;
    engine::Value demod;
  };
  Factors factors(engine::Graph& graph, engine::Value style, float gain, FactorSums sums) const;

  // x: [1, in, h, w] -> conv(x * scale, w) * demod + bias: [1, out, h', w'] (h' = 2h when
  // upsampling); scale and demod are values of factors()' shapes (demod invalid when not
  // demodulating), bias [out] optional.
  engine::Value operator()(engine::Graph& graph, engine::Value x, engine::Value scale, engine::Value demod,
                           engine::Tensor bias = {}) const;

  const ModulatedConv2dShape& shape() const { return shape_; }

 private:
  std::string name_;
  ModulatedConv2dShape shape_;
  engine::Tensor weight_;             // [out, in, k, k]
  engine::Tensor modulation_weight_;  // [in, F, 1, 1]
  engine::Tensor modulation_bias_;    // [in]
  engine::Tensor squared_weight_;     // [out, in, 1, 1]: sum over the taps of w^2 (demodulating only)
  engine::Tensor demod_epsilon_;      // [out]: 1e-8 each
};

}  // namespace upres::models
