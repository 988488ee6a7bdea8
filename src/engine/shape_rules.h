// Shared pieces of the shape rules: attribute access, argument checks, and the size formulas
// that kernels reuse (slice range, conv/pool output sizes). Pure functions; thread-safe.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"

namespace upres::engine {

// The node's attributes as A, or an internal error if the node carries another struct.
template <typename A>
Result<const A*> attrs_of(const Node& node) {
  const A* attrs = std::get_if<A>(&node.attrs);
  if (attrs == nullptr) {
    return internal_error(std::string(op_kind_name(node.kind)) + ": wrong attribute struct");
  }
  return attrs;
}

// Requires constants[index] to be [C] (or [1] when allow_scalar) for C = x[1]; undefined is
// accepted when `optional`.
Status check_channel_vector(const std::vector<Tensor>& constants, size_t index, const Shape& x,
                            const std::string& what, bool allow_scalar, bool optional = false);

struct SliceRange { int64_t start; int64_t end; };
// Python-style: negative bounds count from the end; both clamped to [0, dim].
SliceRange resolve_slice(const SliceAttrs& attrs, int64_t dim);

// Which of `rank` axes a reduce covers; InvalidArgument for an axis out of range or given twice.
Result<std::vector<bool>> reduced_axes(const ReduceAttrs& attrs, int rank);

// Output length of a convolution / pooling window along one axis.
int64_t conv_output_size(int64_t in, int kernel, int stride, int padding, int dilation);
int64_t pool_output_size(int64_t in, int kernel, int stride, int padding, bool ceil_mode);
// Pool stride with 0 meaning "= kernel".
Int2 pool_stride(const Pool2dAttrs& attrs);

Result<Shape> infer_conv2d(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_conv_transpose2d(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_resize(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_pixel_shuffle(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_pad(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_pool2d(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_global_avg_pool(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_linear(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_matmul(const Node& node, const std::vector<Shape>& inputs);
Result<Shape> infer_norm(const Node& node, const std::vector<Shape>& inputs);

}  // namespace upres::engine
