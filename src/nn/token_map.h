// Token maps: the [1, C, h, w] image <-> [1, h*w, C] token rearranges every transformer upscaler
// does around its attention blocks.
#pragma once

#include <cstdint>

#include "engine/graph.h"

namespace upres::nn {

// x.flatten(2).transpose(1, 2): [1, C, h, w] -> [1, h*w, C].
engine::Value to_tokens(engine::Graph& graph, engine::Value image);
// The inverse: [1, h*w, C] -> [1, C, h, w].
engine::Value to_image(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width);

}  // namespace upres::nn
