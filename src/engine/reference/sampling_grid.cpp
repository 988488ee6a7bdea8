// Sampling grids of resize and pad, following PyTorch's CPU kernels (UpSample.h, ReflectionPad):
// nearest is the legacy floor mapping, linear and cubic use half-pixel centres unless
// align_corners, cubic uses A = -0.75 with clamped border taps; pad reflects without repeating
// the edge and replicates by clamping.
#include "engine/reference/sampling_grid.h"

#include <algorithm>
#include <cmath>
#include <string>

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

AxisTaps linear_taps(double src, int64_t in) {
  int64_t i0 = static_cast<int64_t>(src);
  int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
  double l1 = src - static_cast<double>(i0);
  return AxisTaps{{i0, i1, 0, 0}, {1.0 - l1, l1, 0, 0}, 2};
}

AxisTaps cubic_taps(double src, int64_t in) {
  const double a = -0.75;
  int64_t i = static_cast<int64_t>(std::floor(src));
  double t = src - static_cast<double>(i);
  auto near = [a](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  AxisTaps taps{{}, {far(t + 1), near(t), near(1 - t), far(2 - t)}, 4};
  for (int k = 0; k < 4; ++k) taps.index[k] = std::clamp<int64_t>(i - 1 + k, 0, in - 1);
  return taps;
}

std::vector<AxisTaps> resize_axis(const ResizeAttrs& a, int64_t in, int64_t out, float user_scale) {
  std::vector<AxisTaps> taps(static_cast<size_t>(out));
  const bool cubic = a.mode == ResizeMode::kBicubic;
  const double scale = axis_scale(in, out, user_scale, a.align_corners);
  for (int64_t d = 0; d < out; ++d) {
    if (a.mode == ResizeMode::kNearest) {
      taps[d] = AxisTaps{{nearest_source(d, in, out, user_scale), 0, 0, 0}, {1.0, 0, 0, 0}, 1};
    } else {
      double src = source_coordinate(scale, d, a.align_corners, cubic);
      taps[d] = cubic ? cubic_taps(src, in) : linear_taps(src, in);
    }
  }
  return taps;
}

// Source index for padded coordinate `p` (already shifted by the leading pad); -1 = fill.
int64_t pad_source(int64_t p, int64_t size, PadMode mode) {
  if (p >= 0 && p < size) return p;
  switch (mode) {
    case PadMode::kZero: return -1;
    case PadMode::kReflect: return p < 0 ? -p : 2 * (size - 1) - p;
    case PadMode::kReplicate: return std::clamp<int64_t>(p, 0, size - 1);
  }
  return -1;
}

std::vector<AxisTaps> pad_axis(int64_t lead, int64_t in, int64_t out, PadMode mode) {
  std::vector<AxisTaps> taps(static_cast<size_t>(out));
  for (int64_t d = 0; d < out; ++d) taps[d] = AxisTaps{{pad_source(d - lead, in, mode), 0, 0, 0}, {1.0, 0, 0, 0}, 1};
  return taps;
}

Status check_axis(const std::vector<AxisTaps>& taps, int64_t in, bool allow_fill, const char* axis) {
  for (const AxisTaps& t : taps) {
    for (int k = 0; k < t.count; ++k) {
      if ((t.index[k] == -1 && allow_fill) || (t.index[k] >= 0 && t.index[k] < in)) continue;
      return invalid_argument(std::string("sampling grid: ") + axis + " index " + std::to_string(t.index[k]) +
                              " outside an input of " + std::to_string(in));
    }
  }
  return Status::ok();
}

Result<SamplingGrid> checked(SamplingGrid grid, const Shape& in, bool allow_fill) {
  UPRES_RETURN_IF_ERROR(check_axis(grid.rows, in[2], allow_fill, "row"));
  UPRES_RETURN_IF_ERROR(check_axis(grid.cols, in[3], allow_fill, "column"));
  return grid;
}

Status check_shapes(const Shape& in, const Shape& out) {
  if (in.size() != 4 || out.size() != 4 || in[0] != out[0] || in[1] != out[1]) {
    return invalid_argument("sampling grid: input " + shape_to_string(in) + " and output " + shape_to_string(out) +
                            " must be [N, C, H, W] with equal N and C");
  }
  return Status::ok();
}

}  // namespace

Result<SamplingGrid> resize_grid(const ResizeAttrs& attrs, const Shape& in, const Shape& out) {
  UPRES_RETURN_IF_ERROR(check_shapes(in, out));
  const bool by_scale = attrs.scale_h > 0.0f && attrs.scale_w > 0.0f;
  SamplingGrid grid{resize_axis(attrs, in[2], out[2], by_scale ? attrs.scale_h : 0.0f),
                    resize_axis(attrs, in[3], out[3], by_scale ? attrs.scale_w : 0.0f)};
  return checked(std::move(grid), in, false);
}

Result<SamplingGrid> pad_grid(const PadAttrs& attrs, const Shape& in, const Shape& out) {
  UPRES_RETURN_IF_ERROR(check_shapes(in, out));
  SamplingGrid grid{pad_axis(attrs.top, in[2], out[2], attrs.mode), pad_axis(attrs.left, in[3], out[3], attrs.mode)};
  return checked(std::move(grid), in, attrs.mode == PadMode::kZero);
}

}  // namespace upres::engine::reference
