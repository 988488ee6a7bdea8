// SwinIR-family layers: binding with shape checks, and their graph pieces.
// Original: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
#include "models/swinir/swin_layers.h"

#include <algorithm>
#include <utility>

namespace upres::models::swin {

using engine::Graph;
using engine::Value;

Result<LayerNorm> LayerNorm::bind(const nn::StateDict& weights, const std::string& key, int64_t dim) {
  LayerNorm norm;
  UPRES_ASSIGN_OR_RETURN(norm.weight, weights.tensor(key + ".weight", {dim}));
  UPRES_ASSIGN_OR_RETURN(norm.bias, weights.tensor(key + ".bias", {dim}));
  return norm;
}

Value LayerNorm::operator()(Graph& graph, Value x) const { return graph.layer_norm(x, weight, bias); }

Result<Linear> Linear::bind(const nn::StateDict& weights, const std::string& key, int64_t in, int64_t out,
                            bool has_bias) {
  Linear linear;
  UPRES_ASSIGN_OR_RETURN(linear.weight, weights.tensor(key + ".weight", {out, in}));
  if (has_bias) {
    UPRES_ASSIGN_OR_RETURN(linear.bias, weights.tensor(key + ".bias", {out}));
  }
  return linear;
}

Value Linear::operator()(Graph& graph, Value x) const { return graph.linear(x, weight, bias); }

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

Value to_tokens(Graph& graph, Value image) {
  const engine::Shape& shape = graph.shape(image);
  Value x = graph.reshape(image, {shape[0], shape[1], shape[2] * shape[3]});  // [1, C, hw]
  return graph.permute(x, {0, 2, 1});                                        // [1, hw, C]
}

Value to_image(Graph& graph, Value tokens, int64_t height, int64_t width) {
  const engine::Shape& shape = graph.shape(tokens);
  Value x = graph.permute(tokens, {0, 2, 1});                      // [1, C, hw]
  return graph.reshape(x, {shape[0], shape[2], height, width});    // [1, C, h, w]
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
