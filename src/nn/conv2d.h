// Conv2d: a square-kernel convolution (torch.nn.Conv2d, zero padding) whose weight and bias are
// bound by state-dict key with their shapes checked. Immutable after binding; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::nn {

struct Conv2dShape {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int kernel = 3;
  int padding = 1;   // zero padding on every side
  bool has_bias = true;
};

class Conv2d {
 public:
  Conv2d() = default;

  // Binds "<key>.weight" [out, in, k, k] and, when shape.has_bias, "<key>.bias" [out]. `name`
  // labels the graph node (the canonical state-dict key when the file uses another layout);
  // empty means `key`.
  static Result<Conv2d> bind(const StateDict& weights, std::string_view key, const Conv2dShape& shape,
                             std::string_view name = {});

  // x: [n, in, h, w] -> [n, out, h + 2p - k + 1, w + 2p - k + 1]
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;

  const std::string& name() const { return name_; }
  const Conv2dShape& shape() const { return shape_; }
  int64_t parameter_count() const;

 private:
  std::string name_;
  Conv2dShape shape_;
  engine::Tensor weight_;
  engine::Tensor bias_;
};

}  // namespace upres::nn
