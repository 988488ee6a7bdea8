// Conv2d: weight binding with shape checks, and the graph node it adds.
#include "nn/conv2d.h"

#include <utility>

namespace upres::nn {

Result<Conv2d> Conv2d::bind(const StateDict& weights, std::string_view key, const Conv2dShape& shape,
                            std::string_view name) {
  if (shape.in_channels <= 0 || shape.out_channels <= 0 || shape.kernel <= 0 || shape.padding < 0) {
    return invalid_argument("conv '" + std::string(key) + "': bad shape (in " +
                            std::to_string(shape.in_channels) + ", out " + std::to_string(shape.out_channels) +
                            ", kernel " + std::to_string(shape.kernel) + ")");
  }
  Conv2d conv;
  conv.name_ = name.empty() ? std::string(key) : std::string(name);
  conv.shape_ = shape;
  const std::string prefix(key);
  UPRES_ASSIGN_OR_RETURN(conv.weight_,
                         weights.tensor(prefix + ".weight", {shape.out_channels, shape.in_channels,
                                                             shape.kernel, shape.kernel}));
  if (shape.has_bias) {
    UPRES_ASSIGN_OR_RETURN(conv.bias_, weights.tensor(prefix + ".bias", {shape.out_channels}));
  }
  return conv;
}

engine::Value Conv2d::operator()(engine::Graph& graph, engine::Value x) const {
  engine::Conv2dAttrs attrs;
  attrs.padding = shape_.padding;
  return graph.named(graph.conv2d(x, weight_, bias_, attrs), name_);
}

int64_t Conv2d::parameter_count() const {
  return weight_.numel() + (bias_.is_defined() ? bias_.numel() : 0);
}

}  // namespace upres::nn
