// ModulatedConv2d: StyleGAN2's style-modulated convolution (clean version, bilinear upsampling).
// The style is known before the decoder graph is built, so the modulated (and demodulated)
// weight w * s[i] * d[o] is folded on the host into a per-face conv weight. (Feeding s and d
// as graph values instead costs per-channel broadcast multiplies that the cpu backend runs on
// oneDNN's reference kernel: 80% of the time at 512x512.) Immutable after binding; thread-safe.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
#pragma once

#include <cstdint>
#include <span>
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

class ModulatedConv2d {
 public:
  ModulatedConv2d() = default;

  // Binds "<key>.weight" [1, out, in, k, k] and "<key>.modulation.{weight [in, F], bias [in]}".
  static Result<ModulatedConv2d> bind(const nn::StateDict& weights, const std::string& key,
                                      const ModulatedConv2dShape& shape);

  // The weight [out, in, k, k] for one style: w[o, i] * s[i] * d[o] * gain, where
  // s = modulation(style) and, when demodulating, d[o] = 1 / sqrt(sum_i,k (w * s)^2 + 1e-8)
  // (else d = 1). InvalidArgument unless style.size() == num_style_feat.
  Result<engine::Tensor> modulated_weight(std::span<const float> style, float gain) const;

  // x: [1, in, h, w] -> [1, out, h', w'] (h' = 2h when upsampling), with `weight` from
  // modulated_weight() and an optional bias [out].
  engine::Value operator()(engine::Graph& graph, engine::Value x, engine::Tensor weight,
                           engine::Tensor bias = {}) const;

  const ModulatedConv2dShape& shape() const { return shape_; }

 private:
  std::string name_;
  ModulatedConv2dShape shape_;
  engine::Tensor weight_;                 // [out, in, k, k]
  std::vector<float> modulation_weight_;  // [in, F]
  std::vector<float> modulation_bias_;    // [in]
};

}  // namespace upres::models
