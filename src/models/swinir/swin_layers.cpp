// SwinIR-family layers: binding with shape checks, and their graph pieces.
// Original: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
#include "models/swinir/swin_layers.h"

#include <algorithm>
#include <utility>

namespace upres::models::swin {

using engine::Graph;
using engine::Value;

Result<Mlp> Mlp::bind(const nn::StateDict& weights, const std::string& key, int64_t dim, int64_t hidden) {
  Mlp mlp;
  UPRES_ASSIGN_OR_RETURN(mlp.fc1, Linear::bind(weights, key + ".fc1", dim, hidden));
  UPRES_ASSIGN_OR_RETURN(mlp.fc2, Linear::bind(weights, key + ".fc2", hidden, dim));
  return mlp;
}

Value Mlp::operator()(Graph& graph, Value x) const { return fc2(graph, graph.gelu(fc1(graph, x))); }

Result<ResidualConv> ResidualConv::bind(const nn::StateDict& weights, const std::string& key, int64_t dim,
                                        bool three_conv) {
  ResidualConv block;
  if (!three_conv) {
    UPRES_ASSIGN_OR_RETURN(nn::Conv2d conv, nn::Conv2d::bind(weights, key, {.in_channels = dim, .out_channels = dim}));
    block.convs.push_back(std::move(conv));
    return block;
  }
  if (dim < 4) return corrupt(key + ": '3conv' needs at least 4 channels, not " + std::to_string(dim));
  const int64_t quarter = dim / 4;
  const nn::Conv2dShape shapes[] = {{.in_channels = dim, .out_channels = quarter},
                                    {.in_channels = quarter, .out_channels = quarter, .kernel = 1, .padding = 0},
                                    {.in_channels = quarter, .out_channels = dim}};
  for (int i = 0; i < 3; ++i) {
    UPRES_ASSIGN_OR_RETURN(nn::Conv2d conv, nn::Conv2d::bind(weights, key + "." + std::to_string(2 * i), shapes[i]));
    block.convs.push_back(std::move(conv));
  }
  return block;
}

Value ResidualConv::operator()(Graph& graph, Value x) const {
  for (size_t i = 0; i < convs.size(); ++i) {
    x = convs[i](graph, x);
    if (i + 1 < convs.size()) x = graph.leaky_relu(x, 0.2f);
  }
  return x;
}

Value pad_bottom_right_reflect(Graph& graph, Value x, int pad_h, int pad_w) {
  while (pad_h > 0 || pad_w > 0) {
    const engine::Shape& shape = graph.shape(x);
    if (shape.size() != 4) return x;  // an earlier error; the graph's status has it
    const int64_t h = shape[2], w = shape[3];
    engine::PadAttrs attrs{.mode = engine::PadMode::kReflect};
    if (h == 1 || w == 1) {
      attrs = {.right = pad_w, .bottom = pad_h, .mode = engine::PadMode::kReplicate};
      return graph.pad(x, attrs);
    }
    attrs.bottom = static_cast<int>(std::min<int64_t>(pad_h, h - 1));
    attrs.right = static_cast<int>(std::min<int64_t>(pad_w, w - 1));
    x = graph.pad(x, attrs);
    pad_h -= attrs.bottom;
    pad_w -= attrs.right;
  }
  return x;
}

}  // namespace upres::models::swin
