// Lowering: turns one graph node into ExecutionPlan steps. Each op family has its own .cpp; resize,
// pad, group norm and pixel (un)shuffle run native host kernels (lower_resize_pad.cpp,
// lower_group_norm.cpp, lower_pixel_shuffle.cpp); other
// ops oneDNN 2.6 lacks run the reference kernels on plain fp32 copies (lower_fallback.cpp).
// Functions over a caller-owned plan; thread-compatible.
#pragma once

#include "base/status.h"
#include "engine/cpu/execution_plan.h"

namespace upres::engine::cpu {

// Dispatches on node.kind. Requires: every input of the node already has a layout.
Status lower_node(ExecutionPlan& plan, const Node& node);

// Channel concats marked in_place whose inputs can share one blocked buffer (a blocked activation
// layout, batch 1, every channel count a multiple of the block): aliases them in `plan` and gives
// the root its layout.
// Requires: no value has a layout yet. (concat_aliases.cpp)
void plan_concat_aliases(ExecutionPlan& plan);

// Whether lower_node runs `node` on a oneDNN primitive (false: reference fallback).
bool runs_on_onednn(const Node& node);

// Family-level capability checks: false sends the node to the fallback.
bool binary_runs_on_onednn(const Graph& graph, const Node& node);  // lower_elementwise.cpp
bool pool_dense_runs_on_onednn(const Graph& graph, const Node& node);  // lower_pool_dense.cpp
// Whether lower_node runs `node` on a native host kernel of this backend: resize and pad
// (lower_resize_pad.cpp), group norm (lower_group_norm.cpp) and pixel (un)shuffle
// (lower_pixel_shuffle.cpp) of 4-D values; l2_normalize of any rank (lower_l2_normalize.cpp);
// rfft2 / irfft2 (lower_spectral.cpp, KISS FFT); reduce (lower_reduce.cpp: oneDNN's reduction when it
// has a jit kernel, else native); unary erf (lower_unary.cpp).
bool runs_natively(const Graph& graph, const Node& node);

// Per family (lower_*.cpp).
Status lower_conv(ExecutionPlan& plan, const Node& node);
// Whether lower_conv may write the conv's output into a concat slice: not with a prelu post-op,
// which may run as a pass of its own over the output. (lower_conv.cpp)
bool conv_fills_concat_slice(const Node& node);
Status lower_eltwise(ExecutionPlan& plan, const Node& node);
// One oneDNN eltwise (alpha and beta as oneDNN defines them for `alg`) from the node's first input
// to its output, in the input's layout; lower_eltwise and lower_unary both end here.
struct EltwiseForm {
  dnnl::algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};
Status lower_as_eltwise(ExecutionPlan& plan, const Node& node, const EltwiseForm& form);
// A oneDNN prelu from src to dst (the same memory: in place) of a value of `shape` in src's layout,
// slope [C] or [1]. (lower_elementwise.cpp)
void add_prelu(ExecutionPlan& plan, const dnnl::memory& src, const dnnl::memory& dst, const Shape& shape,
               const Tensor& slope);
Status lower_binary(ExecutionPlan& plan, const Node& node);
// Broadcasts oneDNN's binary cannot take or takes only with its `ref` kernel. (lower_binary_native.cpp)
Status lower_binary_native(ExecutionPlan& plan, const Node& node);
Status lower_concat(ExecutionPlan& plan, const Node& node);
Status lower_slice(ExecutionPlan& plan, const Node& node);
Status lower_reshape(ExecutionPlan& plan, const Node& node);   // lower_reshape.cpp
Status lower_permute(ExecutionPlan& plan, const Node& node);   // lower_permute.cpp
Status lower_constant(ExecutionPlan& plan, const Node& node);  // lower_constant.cpp
Status lower_pool_dense(ExecutionPlan& plan, const Node& node);  // pooling, linear, matmul, softmax
Status lower_layer_norm(ExecutionPlan& plan, const Node& node);
Status lower_resize_pad(ExecutionPlan& plan, const Node& node);
Status lower_group_norm(ExecutionPlan& plan, const Node& node);
Status lower_l2_normalize(ExecutionPlan& plan, const Node& node);  // lower_l2_normalize.cpp
Status lower_spectral(ExecutionPlan& plan, const Node& node);  // lower_spectral.cpp: rfft2, irfft2
Status lower_pixel_shuffle(ExecutionPlan& plan, const Node& node);
Status lower_unary(ExecutionPlan& plan, const Node& node);   // lower_unary.cpp: eltwise, native erf
Status lower_reduce(ExecutionPlan& plan, const Node& node);  // lower_reduce.cpp: reduction or native
Status lower_fallback(ExecutionPlan& plan, const Node& node);
// Nodes this process has lowered onto the reference fallback so far, for tests that check a
// network stays on fast kernels whatever builds its graphs. Thread-safe.
size_t reference_fallback_nodes();

}  // namespace upres::engine::cpu
