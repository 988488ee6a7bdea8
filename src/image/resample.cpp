// Separable resampling with PIL's filter definitions (Pillow src/libImaging/Resample.c):
// horizontal pass then vertical pass, each clamped to [0, 1] as PIL clips its 8-bit passes.
// Nearest follows Pillow's affine scaling: source index floor((x + 0.5) * in / out), accumulated.
// Pure functions; thread-safe (worker threads only touch their own rows).
#include "image/resample.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <numbers>
#include <thread>
#include <vector>

#include "base/thread_budget.h"

namespace upres::image {
namespace {

// Per output pixel: the first input index and `taps` normalised weights (zero padded).
struct Coefficients {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<float> weights;  // [out][taps]
};

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

double lanczos_filter(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

// Pillow's precompute_coeffs: support widened by the downscale factor, centre (x + 0.5) * scale.
Coefficients precompute(int in_size, int out_size, ResampleFilter filter) {
  const bool lanczos = filter == ResampleFilter::kLanczos;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = (lanczos ? 3.0 : 2.0) * filter_scale;
  Coefficients c;
  c.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.taps, 0.0f);
  std::vector<double> w(c.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double t = (x + xmin - center + 0.5) / filter_scale;
      w[x] = lanczos ? lanczos_filter(t) : bicubic_filter(t);
      total += w[x];
    }
    for (int x = 0; x < xmax; ++x)
      c.weights[static_cast<size_t>(xx) * c.taps + x] = static_cast<float>(total != 0.0 ? w[x] / total : w[x]);
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

// Runs body(begin, end) over [0, rows) on up to usable_threads() threads.
void parallel_rows(int rows, size_t work_per_row, const std::function<void(int, int)>& body) {
  const auto hw = static_cast<size_t>(usable_threads());
  const size_t total = work_per_row * static_cast<size_t>(rows);
  const int threads = static_cast<int>(std::min<size_t>({hw, 16, static_cast<size_t>(rows), total / 200000 + 1}));
  if (threads <= 1) {
    body(0, rows);
    return;
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    const int begin = static_cast<int>(static_cast<int64_t>(rows) * t / threads);
    const int end = static_cast<int>(static_cast<int64_t>(rows) * (t + 1) / threads);
    workers.emplace_back(body, begin, end);
  }
  for (auto& w : workers) w.join();
}

template <int C>
void horizontal_rows(const float* in, int in_width, float* out, int out_width,
                     const Coefficients& k, int begin, int end) {
  for (int y = begin; y < end; ++y) {
    const float* row = in + static_cast<size_t>(y) * in_width * C;
    float* dst = out + static_cast<size_t>(y) * out_width * C;
    for (int x = 0; x < out_width; ++x) {
      const float* w = k.weights.data() + static_cast<size_t>(x) * k.taps;
      const float* src = row + static_cast<size_t>(k.first[x]) * C;
      float sum[C] = {};
      for (int t = 0; t < k.count[x]; ++t)
        for (int c = 0; c < C; ++c) sum[c] += w[t] * src[t * C + c];
      for (int c = 0; c < C; ++c) dst[x * C + c] = std::clamp(sum[c], 0.0f, 1.0f);
    }
  }
}

Image resample_horizontal(const Image& in, int out_width, ResampleFilter filter) {
  const Coefficients k = precompute(in.width(), out_width, filter);
  Image out(out_width, in.height(), in.channels());
  const auto body = [&](int begin, int end) {
    switch (in.channels()) {
      case 1: horizontal_rows<1>(in.pixels(), in.width(), out.pixels(), out_width, k, begin, end); break;
      case 2: horizontal_rows<2>(in.pixels(), in.width(), out.pixels(), out_width, k, begin, end); break;
      case 3: horizontal_rows<3>(in.pixels(), in.width(), out.pixels(), out_width, k, begin, end); break;
      default: horizontal_rows<4>(in.pixels(), in.width(), out.pixels(), out_width, k, begin, end); break;
    }
  };
  parallel_rows(in.height(), static_cast<size_t>(out_width) * in.channels() * k.taps, body);
  return out;
}

Image resample_vertical(const Image& in, int out_height, ResampleFilter filter) {
  const Coefficients k = precompute(in.height(), out_height, filter);
  Image out(in.width(), out_height, in.channels());
  const size_t row_len = static_cast<size_t>(in.width()) * in.channels();
  const auto body = [&](int begin, int end) {
    for (int y = begin; y < end; ++y) {
      float* dst = out.pixels() + y * row_len;
      const float* w = k.weights.data() + static_cast<size_t>(y) * k.taps;
      for (int t = 0; t < k.count[y]; ++t) {
        const float* src = in.pixels() + (k.first[y] + t) * row_len;
        const float wt = w[t];
        for (size_t i = 0; i < row_len; ++i) dst[i] += wt * src[i];
      }
      for (size_t i = 0; i < row_len; ++i) dst[i] = std::clamp(dst[i], 0.0f, 1.0f);
    }
  };
  parallel_rows(out_height, row_len * k.taps, body);
  return out;
}

// Pillow's ImagingScaleAffine: the source coordinate starts at scale / 2 and grows by `scale`
// per pixel in double precision; accumulating (not multiplying) decides the near-ties the same way.
std::vector<int> nearest_indices(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  std::vector<int> index(out_size);
  double source = scale * 0.5;
  for (int x = 0; x < out_size; ++x, source += scale)
    index[x] = std::min(static_cast<int>(source), in_size - 1);
  return index;
}

Image resize_nearest(const Image& in, int width, int height) {
  const std::vector<int> xs = nearest_indices(in.width(), width);
  const std::vector<int> ys = nearest_indices(in.height(), height);
  Image out(width, height, in.channels());
  const int c = in.channels();
  parallel_rows(height, static_cast<size_t>(width) * c, [&](int begin, int end) {
    for (int y = begin; y < end; ++y) {
      const float* row = in.pixels() + static_cast<size_t>(ys[y]) * in.width() * c;
      float* dst = out.pixels() + static_cast<size_t>(y) * width * c;
      for (int x = 0; x < width; ++x)
        for (int ch = 0; ch < c; ++ch) dst[x * c + ch] = std::clamp(row[xs[x] * c + ch], 0.0f, 1.0f);
    }
  });
  return out;
}

}  // namespace

Image resize(const Image& input, int width, int height, ResampleFilter filter) {
  assert(width >= 1 && height >= 1 && !input.empty());
  Image out;
  if (filter == ResampleFilter::kNearest) {
    out = resize_nearest(input, width, height);
  } else if (width == input.width() && height == input.height()) {
    out = resample_vertical(input, height, filter);  // an identity pass that also clamps
  } else {
    // Pillow runs only the passes whose size changes, horizontal first.
    if (width != input.width()) out = resample_horizontal(input, width, filter);
    const Image& stage = width != input.width() ? out : input;
    if (height != input.height()) out = resample_vertical(stage, height, filter);
  }
  out.metadata = input.metadata;
  return out;
}

}  // namespace upres::image
