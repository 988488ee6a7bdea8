// Linear: torch.nn.Linear over a tensor's last dim, weight and bias bound by state-dict key with
// their shapes checked. Shared by the transformer families (SwinIR, HAT, DAT, ...). Immutable
// after binding; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::nn {

struct Linear {
  engine::Tensor weight;  // [out, in]
  engine::Tensor bias;    // [out], undefined when the layer has none

  // Binds "<key>.weight" [out, in] and, when has_bias, "<key>.bias" [out].
  static Result<Linear> bind(const StateDict& weights, std::string_view key, int64_t in, int64_t out,
                             bool has_bias = true);
  // x: [..., in] -> [..., out]
  engine::Value operator()(engine::Graph& graph, engine::Value x) const { return graph.linear(x, weight, bias); }
};

}  // namespace upres::nn
