// ModulatedConv2d: StyleGAN2's style-modulated convolution (clean version, bilinear upsampling).
// conv(x, w * s[i] * d[o]) is computed as conv(x * s, w) * d: the weight stays constant, so the
// decoder graph is compiled once, and each face feeds only its per-channel modulation s and
// demodulation d (computed on the host from its style) as graph inputs. Folding them into a
// per-face weight instead cost a graph compile and a weight reorder per face (~190 ms of a
// 1.2 s GFPGAN face). Immutable after binding; thread-safe.
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

  // One style's factors: scale [1, in, 1, 1] = modulation(style); when demodulating, demod
  // [1, out, 1, 1] = gain / sqrt(sum_i,k (w * scale)^2 + 1e-8) (else undefined: gain must be 1).
  // InvalidArgument unless style.size() == num_style_feat.
  struct Factors {
    engine::Tensor scale;
    engine::Tensor demod;
  };
  Result<Factors> factors(std::span<const float> style, float gain) const;

  // x: [1, in, h, w] -> conv(x * scale, w) * demod + bias: [1, out, h', w'] (h' = 2h when
  // upsampling); scale and demod are values of factors()' shapes (demod invalid when not
  // demodulating), bias [out] optional.
  engine::Value operator()(engine::Graph& graph, engine::Value x, engine::Value scale, engine::Value demod,
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
