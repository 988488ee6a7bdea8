// Reference resize: each output pixel is the weighted sum of the input taps its SamplingGrid row
// and column name (nearest, bilinear, bicubic as PyTorch samples them; see sampling_grid.cpp).
#include "engine/reference/kernel.h"
#include "engine/reference/sampling_grid.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {

Status resize(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ResizeAttrs* a, attrs_of<ResizeAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const Shape& out = args.output_shape;
  UPRES_ASSIGN_OR_RETURN(const SamplingGrid grid, resize_grid(*a, in, out));
  for (int64_t plane = 0; plane < out[0] * out[1]; ++plane) {
    const float* src = args.inputs[0] + plane * in[2] * in[3];
    float* dst = args.output + plane * out[2] * out[3];
    for (int64_t y = 0; y < out[2]; ++y) {
      const AxisTaps& ty = grid.rows[static_cast<size_t>(y)];
      for (int64_t x = 0; x < out[3]; ++x) {
        const AxisTaps& tx = grid.cols[static_cast<size_t>(x)];
        double acc = 0.0;
        for (int p = 0; p < ty.count; ++p) {
          for (int q = 0; q < tx.count; ++q) {
            acc += ty.weight[p] * tx.weight[q] * src[ty.index[p] * in[3] + tx.index[q]];
          }
        }
        dst[y * out[3] + x] = static_cast<float>(acc);
      }
    }
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
