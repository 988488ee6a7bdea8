// LayerNorm: torch.nn.LayerNorm(dim) (eps 1e-5) over a tensor's last dim, weight and bias bound by
// state-dict key with their shapes checked. Immutable after binding; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::nn {

struct LayerNorm {
  engine::Tensor weight;  // [dim]
  engine::Tensor bias;    // [dim]

  // Binds "<key>.weight" and "<key>.bias", both [dim].
  static Result<LayerNorm> bind(const StateDict& weights, std::string_view key, int64_t dim);
  // x: [..., dim]
  engine::Value operator()(engine::Graph& graph, engine::Value x) const {
    return graph.layer_norm(x, weight, bias);
  }
};

}  // namespace upres::nn
