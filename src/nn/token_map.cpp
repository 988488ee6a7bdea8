#include "nn/token_map.h"

namespace upres::nn {

engine::Value to_tokens(engine::Graph& graph, engine::Value image) {
  const engine::Shape& shape = graph.shape(image);
  engine::Value x = graph.reshape(image, {shape[0], shape[1], shape[2] * shape[3]});  // [1, C, hw]
  return graph.permute(x, {0, 2, 1});                                                // [1, hw, C]
}

engine::Value to_image(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width) {
  const engine::Shape& shape = graph.shape(tokens);
  engine::Value x = graph.permute(tokens, {0, 2, 1});                 // [1, C, hw]
  return graph.reshape(x, {shape[0], shape[2], height, width});       // [1, C, h, w]
}

}  // namespace upres::nn
