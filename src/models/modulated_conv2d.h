// ModulatedConv2d: StyleGAN2's style-modulated convolution (clean version, bilinear upsampling).
// For batch 1, conv(x, w * s * d) == d[o] * conv(x * s[i], w), so the per-face factors s and d
// are computed on the host and enter the graph as values. Immutable after binding; thread-safe.
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

  // Floats this conv takes from the packed modulation vector: s [in], then d [out] if demodulating.
  int64_t factor_count() const;
  // Appends s = modulation(style) and, when demodulating, d[o] = gain / sqrt(sum (w*s)^2 + 1e-8)
  // to `factors`. Requires: style.size() == num_style_feat.
  void append_factors(std::span<const float> style, float gain, std::vector<float>& factors) const;

  // x: [1, in, h, w]; factors: [1, factor_count(), 1, 1] -> [1, out, h', w'] (h' = 2h when
  // upsampling). Without demodulation `gain` is not applied.
  engine::Value operator()(engine::Graph& graph, engine::Value x, engine::Value factors) const;

  const ModulatedConv2dShape& shape() const { return shape_; }

 private:
  std::string name_;
  ModulatedConv2dShape shape_;
  engine::Tensor weight_;                  // [out, in, k, k]
  std::vector<float> modulation_weight_;   // [in, F]
  std::vector<float> modulation_bias_;     // [in]
  std::vector<float> weight_square_sums_;  // [out, in]: sum over the kernel of w^2
};

}  // namespace upres::models
