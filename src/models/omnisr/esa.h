// ESA: the enhanced spatial attention closing each OmniSR group (Liu et al. 2020, "Residual Feature
// Aggregation Network", as trimmed by OmniSR: no conv_max / conv3_). x * sigmoid(conv4(up(conv3(
// maxpool7s3(conv2s2(conv1(x))))) + conv_f(conv1(x)))). Immutable after binding; thread-safe.
// Original: https://github.com/Francis0625/Omni-SR (ops/esa.py), as spandrel ships it.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "models/omnisr/omnisr_layers.h"
#include "nn/state_dict.h"

namespace upres::models::omnisr {

class ESA {
 public:
  // The feature maps ESA takes are at least this tall and wide: conv2 (3x3, stride 2, no padding)
  // must leave 7 rows for the 7x7 max pool.
  static constexpr int kMinSide = 15;

  // "<key>.conv1" [f, n_feats, 1, 1], conv_f, conv2, conv3 [f, f, ...], conv4 [n_feats, f, 1, 1];
  // f = max(n_feats / 4, 16) in OmniSR, read from conv1.
  static Result<ESA> bind(const nn::StateDict& weights, const std::string& key, int64_t channels);

  // x: [1, C, H, W], H and W >= kMinSide -> [1, C, H, W].
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;

 private:
  Conv conv1_, conv_f_, conv2_, conv3_, conv4_;
};

}  // namespace upres::models::omnisr
