// Host evaluation of ONNX ops on small constants (OnnxHostTensor): the shape arithmetic that
// torch.onnx.export writes around dynamic H/W (Shape -> Gather -> Unsqueeze -> Concat -> Reshape)
// folds to constants once the graph is built for one input size. Functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "models/onnx/onnx_constants.h"

namespace upres::models {

// numpy broadcasting of a and b through `op`; the result is float if either input is.
Result<OnnxHostTensor> host_binary(const OnnxHostTensor& a, const OnnxHostTensor& b,
                                   const std::function<double(double, double)>& op);
OnnxHostTensor host_unary(const OnnxHostTensor& x, const std::function<double(double)>& op);
// ONNX Gather along `axis` (negative indices count from the end).
Result<OnnxHostTensor> host_gather(const OnnxHostTensor& data, const OnnxHostTensor& indices, int64_t axis);
// ONNX Slice with starts/ends already clamped per axis; steps may be negative.
Result<OnnxHostTensor> host_slice(const OnnxHostTensor& x, const std::vector<int64_t>& axes,
                                  const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                  const std::vector<int64_t>& steps);
Result<OnnxHostTensor> host_concat(const std::vector<OnnxHostTensor>& xs, int64_t axis);
Result<OnnxHostTensor> host_transpose(const OnnxHostTensor& x, const std::vector<int64_t>& perm);
// x with dims `shape` broadcast (Expand).
Result<OnnxHostTensor> host_expand(const OnnxHostTensor& x, const engine::Shape& shape);
// Where(cond, a, b).
Result<OnnxHostTensor> host_where(const OnnxHostTensor& cond, const OnnxHostTensor& a, const OnnxHostTensor& b);

// ONNX Slice index clamping for one axis of size `dim`: returns (start, end) ready to iterate
// with `step`. Requires: step != 0.
std::pair<int64_t, int64_t> clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim);

// ONNX Reshape target: 0 copies the input dim (unless allow_zero), one -1 is inferred.
Result<engine::Shape> onnx_reshape_target(const engine::Shape& in, const std::vector<int64_t>& target,
                                          bool allow_zero);

// The values as int64 (truncated), e.g. for axes and shapes.
std::vector<int64_t> host_ints(const OnnxHostTensor& x);

}  // namespace upres::models
