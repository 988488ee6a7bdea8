// SamplingGrid: which input rows and columns (and with what weights) each output row and column of
// a resize or pad reads, following PyTorch's sampling rules. Shared by the reference kernels and
// the cpu backend's native spatial kernels so both sample alike. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "engine/op.h"
#include "engine/tensor.h"

namespace upres::engine::reference {

// Up to four input indices along one axis and their weights; index -1 (pad only) reads the fill.
struct AxisTaps {
  int64_t index[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
  int count = 0;
};

struct SamplingGrid {
  std::vector<AxisTaps> rows;  // one per output row
  std::vector<AxisTaps> cols;  // one per output column
};

// Requires: `in` and `out` are the [N, C, H, W] shapes shape inference gave the node. Every index
// is checked to lie inside the input (an error names the axis otherwise).
Result<SamplingGrid> resize_grid(const ResizeAttrs& attrs, const Shape& in, const Shape& out);
Result<SamplingGrid> pad_grid(const PadAttrs& attrs, const Shape& in, const Shape& out);

}  // namespace upres::engine::reference
