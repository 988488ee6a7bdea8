// Small layers the SwinIR family (SwinIR, Swin2SR) builds from: nn.LayerNorm and nn.Linear over a
// token map's last dim, the transformer MLP, and the RSTB "1conv"/"3conv" convolution, each bound by
// state-dict key with every shape checked. Immutable after binding; thread-safe.
// Original: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"

namespace upres::models::swin {

// nn.LayerNorm(dim) (eps 1e-5): "<key>.weight", "<key>.bias" [dim].
struct LayerNorm {
  engine::Tensor weight;
  engine::Tensor bias;
  static Result<LayerNorm> bind(const nn::StateDict& weights, const std::string& key, int64_t dim);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;  // x: [..., dim]
};

// nn.Linear(in, out): "<key>.weight" [out, in], "<key>.bias" [out] when `has_bias`.
struct Linear {
  engine::Tensor weight;
  engine::Tensor bias;
  static Result<Linear> bind(const nn::StateDict& weights, const std::string& key, int64_t in, int64_t out,
                             bool has_bias = true);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;  // x: [..., in]
};

// fc1 -> GELU (exact) -> fc2.
struct Mlp {
  Linear fc1;
  Linear fc2;
  static Result<Mlp> bind(const nn::StateDict& weights, const std::string& key, int64_t dim, int64_t hidden);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;
};

// The convolution before a residual add: "1conv" = one 3x3 conv (<key>.weight); "3conv" = 3x3 to
// dim/4, LeakyReLU(0.2), 1x1, LeakyReLU(0.2), 3x3 back to dim (<key>.0/.2/.4).
struct ResidualConv {
  std::vector<nn::Conv2d> convs;
  static Result<ResidualConv> bind(const nn::StateDict& weights, const std::string& key, int64_t dim,
                                   bool three_conv);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;  // x: [1, dim, h, w]
};

// x.flatten(2).transpose(1, 2): [1, C, h, w] -> [1, h*w, C].
engine::Value to_tokens(engine::Graph& graph, engine::Value image);
// The inverse: [1, h*w, C] -> [1, C, h, w].
engine::Value to_image(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width);

// F.pad(x, (0, pad_w, 0, pad_h), 'reflect') on [1, C, h, w]. Where a pad reaches the size (PyTorch
// refuses that) the reflection repeats in steps, and a 1-pixel side replicates.
engine::Value pad_bottom_right_reflect(engine::Graph& graph, engine::Value x, int pad_h, int pad_w);

}  // namespace upres::models::swin
