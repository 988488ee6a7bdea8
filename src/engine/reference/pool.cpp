// Reference pooling: avg/max windows as PyTorch's CPU kernels count them, and global average.
#include <algorithm>
#include <limits>

#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {

Status pool2d(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const Pool2dAttrs* a, attrs_of<Pool2dAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const Shape& out = args.output_shape;
  const Int2 stride = pool_stride(*a);
  const bool is_max = args.node.kind == OpKind::kMaxPool2d;
  for (int64_t plane = 0; plane < out[0] * out[1]; ++plane) {
    const float* src = args.inputs[0] + plane * in[2] * in[3];
    float* dst = args.output + plane * out[2] * out[3];
    for (int64_t oy = 0; oy < out[2]; ++oy) {
      for (int64_t ox = 0; ox < out[3]; ++ox) {
        int64_t y0 = oy * stride.h - a->padding.h, x0 = ox * stride.w - a->padding.w;
        int64_t y1 = std::min<int64_t>(y0 + a->kernel.h, in[2] + a->padding.h);
        int64_t x1 = std::min<int64_t>(x0 + a->kernel.w, in[3] + a->padding.w);
        const int64_t padded_count = (y1 - y0) * (x1 - x0);
        y0 = std::max<int64_t>(y0, 0);
        x0 = std::max<int64_t>(x0, 0);
        y1 = std::min(y1, in[2]);
        x1 = std::min(x1, in[3]);
        double sum = 0.0;
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t y = y0; y < y1; ++y) {
          for (int64_t x = x0; x < x1; ++x) {
            sum += src[y * in[3] + x];
            best = std::max(best, src[y * in[3] + x]);
          }
        }
        const int64_t divisor = a->count_include_pad ? padded_count : (y1 - y0) * (x1 - x0);
        dst[oy * out[3] + ox] = is_max ? best : static_cast<float>(sum / static_cast<double>(divisor));
      }
    }
  }
  return Status::ok();
}

Status global_avg_pool(const KernelArgs& args) {
  const Shape& in = args.input_shapes[0];
  const int64_t area = in[2] * in[3];
  for (int64_t plane = 0; plane < in[0] * in[1]; ++plane) {
    double sum = 0.0;
    for (int64_t i = 0; i < area; ++i) sum += args.inputs[0][plane * area + i];
    args.output[plane] = static_cast<float>(sum / static_cast<double>(area));
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
