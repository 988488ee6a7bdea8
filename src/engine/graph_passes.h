// Backend-independent graph passes, each in its own .cpp. Every pass keeps the graph's numerics
// (up to fp32 rounding) and its inputs/outputs; backends call optimize_graph() in prepare().
// Functions on a caller-owned Graph; thread-compatible.
#pragma once

#include "base/status.h"
#include "engine/graph.h"

namespace upres::engine {

// batch_norm(conv2d(x)) -> conv2d with scaled weights and shifted bias, when the conv output is
// read only by the batch norm and the conv has no post-ops yet. (fold_batch_norm.cpp)
Status fold_batch_norm(Graph& graph);

// act(conv2d(x)) -> conv2d with post.activation, when the conv output has one reader.
// (fuse_conv_activation.cpp)
Status fuse_conv_activation(Graph& graph);

// add(conv2d(x), r) and add(scale(conv2d(x), s), r) -> conv2d with a residual input (sum post-op,
// y = s * act(conv) + r), when the conv output has one reader and r has the output shape; then
// act(that) -> activation_after_residual when the conv had no activation. (fuse_conv_residual.cpp)
Status fuse_conv_residual(Graph& graph);

// Marks channel concats whose inputs are all conv2d outputs read only by that concat, so a
// backend may write those convolutions into channel slices of one buffer. (mark_in_place_concat.cpp)
Status mark_in_place_concat(Graph& graph);

// All of the above, in order, then dead-node removal.
Status optimize_graph(Graph& graph);

}  // namespace upres::engine
