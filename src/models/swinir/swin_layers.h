// Small layers the SwinIR family (SwinIR, Swin2SR) builds from (LayerNorm, Linear and the token
// rearranges are src/nn's): the transformer MLP, and the RSTB "1conv"/"3conv" convolution, each bound by
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
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/state_dict.h"
#include "nn/token_map.h"

namespace upres::models::swin {

// The shared layers of src/nn, under the names this family's code uses.
using nn::LayerNorm;
using nn::Linear;
using nn::to_image;
using nn::to_tokens;

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

// F.pad(x, (0, pad_w, 0, pad_h), 'reflect') on [1, C, h, w]. Where a pad reaches the size (PyTorch
// refuses that) the reflection repeats in steps, and a 1-pixel side replicates.
engine::Value pad_bottom_right_reflect(engine::Graph& graph, engine::Value x, int pad_h, int pad_w);

}  // namespace upres::models::swin
