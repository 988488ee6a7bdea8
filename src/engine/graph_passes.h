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

// add(scale(y, s), r2) with y = conv2d(x) + r1 (a fused residual read only there) -> conv2d(x)
// with residual r' = add(scale(r1, s), r2) computed just before it and residual_scale * s; the
// conv output is then the block output (RRDBNet's 0.2 * rdb3(x) + x). (fold_nested_residual.cpp)
Status fold_nested_residual(Graph& graph);

// Marks channel concats (axis 1) whose inputs are distinct conv2d outputs, so a backend may let
// those convolutions write into channel slices of one buffer. In a dense block the same conv
// output feeds several nested concats (cat(x, x1), cat(x, x1, x2), ...): a backend that gives
// them one buffer with each concat a channel prefix has no copies at all. (mark_in_place_concat.cpp)
Status mark_in_place_concat(Graph& graph);

// All of the above, in order, then dead-node removal and validation. (optimize_graph.cpp)
Status optimize_graph(Graph& graph);

}  // namespace upres::engine
