// Small layers OmniSR builds from: a convolution of any kernel, stride and group count bound by
// state-dict key (biases required, absent or taken when present), and LayerNorm2d (a layer norm over
// the channels of each pixel). Immutable after binding; thread-safe.
// Original: https://github.com/Francis0625/Omni-SR (ops/OSA.py, ops/layernorm.py), as spandrel ships it.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models::omnisr {

enum class Bias { kRequired, kAbsent, kIfPresent };

struct ConvSpec {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int kernel = 1;
  int stride = 1;
  int padding = -1;  // -1: kernel / 2
  int groups = 1;
  Bias bias = Bias::kRequired;
};

// nn.Conv2d: "<key>.weight" [out, in / groups, k, k] and "<key>.bias" [out] per spec.bias.
struct Conv {
  engine::Tensor weight;
  engine::Tensor bias;
  engine::Conv2dAttrs attrs;
  std::string name;
  static Result<Conv> bind(const nn::StateDict& weights, const std::string& key, const ConvSpec& spec);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;  // x: [1, in, h, w]
};

// LayerNorm2d (eps 1e-6 in OmniSR) or nn.LayerNorm (1e-5): "<key>.weight", "<key>.bias" [channels].
struct ChannelNorm {
  engine::Tensor weight;
  engine::Tensor bias;
  float eps = 1e-6f;
  static Result<ChannelNorm> bind(const nn::StateDict& weights, const std::string& key, int64_t channels, float eps);
  // Over the last dim of x: [..., channels].
  engine::Value last_dim(engine::Graph& graph, engine::Value x) const;
  // Over dim 1 of x: [1, channels, h, w] (NHWC permute, layer norm, permute back).
  engine::Value channels_first(engine::Graph& graph, engine::Value x) const;
};

}  // namespace upres::models::omnisr
