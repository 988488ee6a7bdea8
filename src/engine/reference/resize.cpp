// Reference resize, following PyTorch's CPU kernels (UpSample.h): nearest is the legacy floor
// mapping, linear and cubic use half-pixel centres unless align_corners, cubic uses A = -0.75
// with clamped border taps.
#include <algorithm>
#include <cmath>

#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

// Input step per output pixel (PyTorch's area_pixel_compute_scale).
double axis_scale(int64_t in, int64_t out, float user_scale, bool align_corners) {
  if (align_corners) return out > 1 ? static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  if (user_scale > 0.0f) return static_cast<float>(1.0 / user_scale);
  return static_cast<float>(static_cast<float>(in) / static_cast<float>(out));
}

double source_coordinate(double scale, int64_t dst, bool align_corners, bool cubic) {
  if (align_corners) return scale * static_cast<double>(dst);
  double src = scale * (static_cast<double>(dst) + 0.5) - 0.5;
  return (!cubic && src < 0.0) ? 0.0 : src;
}

int64_t nearest_source(int64_t dst, int64_t in, int64_t out, float user_scale) {
  if (in == out) return dst;
  float scale = user_scale > 0.0f ? static_cast<float>(1.0 / user_scale)
                                  : static_cast<float>(in) / static_cast<float>(out);
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(dst) * scale)), in - 1);
}

struct Taps {
  int64_t index[4];
  double weight[4];
  int count;
};

Taps linear_taps(double src, int64_t in) {
  int64_t i0 = static_cast<int64_t>(src);
  int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
  double l1 = src - static_cast<double>(i0);
  return Taps{{i0, i1, 0, 0}, {1.0 - l1, l1, 0, 0}, 2};
}

Taps cubic_taps(double src, int64_t in) {
  const double a = -0.75;
  int64_t i = static_cast<int64_t>(std::floor(src));
  double t = src - static_cast<double>(i);
  auto near = [a](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  Taps taps{{}, {far(t + 1), near(t), near(1 - t), far(2 - t)}, 4};
  for (int k = 0; k < 4; ++k) taps.index[k] = std::clamp<int64_t>(i - 1 + k, 0, in - 1);
  return taps;
}

std::vector<Taps> axis_taps(const ResizeAttrs& a, int64_t in, int64_t out, float user_scale) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  const bool cubic = a.mode == ResizeMode::kBicubic;
  const double scale = axis_scale(in, out, user_scale, a.align_corners);
  for (int64_t d = 0; d < out; ++d) {
    if (a.mode == ResizeMode::kNearest) {
      taps[d] = Taps{{nearest_source(d, in, out, user_scale), 0, 0, 0}, {1.0, 0, 0, 0}, 1};
    } else {
      double src = source_coordinate(scale, d, a.align_corners, cubic);
      taps[d] = cubic ? cubic_taps(src, in) : linear_taps(src, in);
    }
  }
  return taps;
}

}  // namespace

Status resize(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ResizeAttrs* a, attrs_of<ResizeAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const Shape& out = args.output_shape;
  const bool by_scale = a->scale_h > 0.0f && a->scale_w > 0.0f;
  std::vector<Taps> rows = axis_taps(*a, in[2], out[2], by_scale ? a->scale_h : 0.0f);
  std::vector<Taps> cols = axis_taps(*a, in[3], out[3], by_scale ? a->scale_w : 0.0f);
  for (int64_t plane = 0; plane < out[0] * out[1]; ++plane) {
    const float* src = args.inputs[0] + plane * in[2] * in[3];
    float* dst = args.output + plane * out[2] * out[3];
    for (int64_t y = 0; y < out[2]; ++y) {
      const Taps& ty = rows[static_cast<size_t>(y)];
      for (int64_t x = 0; x < out[3]; ++x) {
        const Taps& tx = cols[static_cast<size_t>(x)];
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
