// ESA: binding and forward graph.
// Original: https://github.com/Francis0625/Omni-SR (ops/esa.py), as spandrel ships it.
#include "models/omnisr/esa.h"

namespace upres::models::omnisr {

Result<ESA> ESA::bind(const nn::StateDict& weights, const std::string& key, int64_t channels) {
  ESA esa;
  UPRES_ASSIGN_OR_RETURN(const int64_t f, weights.dim(key + ".conv1.weight", 0));
  if (f <= 0 || f > 4096) return corrupt("ESA '" + key + "': " + std::to_string(f) + " channels");
  UPRES_ASSIGN_OR_RETURN(esa.conv1_, Conv::bind(weights, key + ".conv1", {.in_channels = channels, .out_channels = f}));
  UPRES_ASSIGN_OR_RETURN(esa.conv_f_, Conv::bind(weights, key + ".conv_f", {.in_channels = f, .out_channels = f}));
  UPRES_ASSIGN_OR_RETURN(esa.conv2_, Conv::bind(weights, key + ".conv2", {.in_channels = f, .out_channels = f,
                                                                          .kernel = 3, .stride = 2, .padding = 0}));
  UPRES_ASSIGN_OR_RETURN(esa.conv3_, Conv::bind(weights, key + ".conv3", {.in_channels = f, .out_channels = f,
                                                                          .kernel = 3}));
  UPRES_ASSIGN_OR_RETURN(esa.conv4_, Conv::bind(weights, key + ".conv4", {.in_channels = f, .out_channels = channels}));
  return esa;
}

engine::Value ESA::operator()(engine::Graph& graph, engine::Value x) const {
  const engine::Shape shape = graph.shape(x);
  const engine::Value c1_ = conv1_(graph, x);                                          // [1, f, H, W]
  const engine::Value c1 = conv2_(graph, c1_);                                         // [1, f, (H-3)/2+1, ...]
  const engine::Value pooled = graph.max_pool2d(c1, {.kernel = 7, .stride = 3});
  engine::Value c3 = conv3_(graph, pooled);
  c3 = graph.resize(c3, {.mode = engine::ResizeMode::kBilinear, .out_h = shape[2], .out_w = shape[3]});
  const engine::Value c4 = conv4_(graph, graph.add(c3, conv_f_(graph, c1_)));          // [1, C, H, W]
  return graph.mul(x, graph.sigmoid(c4));
}

}  // namespace upres::models::omnisr
