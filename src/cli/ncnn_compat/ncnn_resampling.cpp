#include "cli/ncnn_compat/ncnn_resampling.h"

#include <algorithm>
#include <cmath>

#include "image/resample.h"

namespace upres::cli::ncnn_compat {
namespace {

// ncnn's mirror of an out-of-range index: abs(), then fold back from the far edge.
int mirror(int i, int n) {
  if (n == 1) return 0;
  i = std::abs(i);
  i = (n - 1) - std::abs(i - (n - 1));
  return std::clamp(i, 0, n - 1);
}

// ncnn interpolate_cubic with A = -0.75: weights of the 4 taps around fraction t.
void cubic_weights(float t, float w[4]) {
  constexpr float A = -0.75f;
  const float x0 = t + 1, x1 = t, x2 = 1 - t;
  w[0] = ((A * x0 - 5 * A) * x0 + 8 * A) * x0 - 4 * A;
  w[1] = ((A + 2) * x1 - (A + 3)) * x1 * x1 + 1;
  w[2] = ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1;
  w[3] = 1 - w[0] - w[1] - w[2];
}

float srgb_to_linear(float v) { return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f); }
float linear_to_srgb(float v) {
  v = std::clamp(v, 0.0f, 1.0f);
  return v <= 0.0031308f ? v * 12.92f : 1.055f * std::pow(v, 1 / 2.4f) - 0.055f;
}

}  // namespace

image::Image reflect_pad(const image::Image& in, int pad) {
  const int w = in.width(), h = in.height(), c = in.channels();
  image::Image out(w + 2 * pad, h + 2 * pad, c);
  for (int y = 0; y < out.height(); ++y) {
    const int sy = mirror(y - pad, h);
    for (int x = 0; x < out.width(); ++x) {
      const int sx = mirror(x - pad, w);
      for (int k = 0; k < c; ++k) out.at(x, y, k) = in.at(sx, sy, k);
    }
  }
  return out;
}

image::Image crop_border(const image::Image& in, int border) {
  const int c = in.channels();
  image::Image out(in.width() - 2 * border, in.height() - 2 * border, c);
  for (int y = 0; y < out.height(); ++y)
    std::copy_n(in.pixels() + (static_cast<size_t>(y + border) * in.width() + border) * c,
                static_cast<size_t>(out.width()) * c, &out.at(0, y, 0));
  return out;
}

image::Image ncnn_bicubic_upscale(const image::Image& channel, int scale) {
  const int w = channel.width(), h = channel.height();
  // Horizontal then vertical, each output position reading 4 clamped taps.
  auto taps = [scale](int out_index, int size, int index[4], float weight[4]) {
    const float f = (out_index + 0.5f) / static_cast<float>(scale) - 0.5f;
    const int s = static_cast<int>(std::floor(f));
    cubic_weights(f - s, weight);
    for (int k = 0; k < 4; ++k) index[k] = std::clamp(s - 1 + k, 0, size - 1);
  };
  image::Image wide(w * scale, h, 1);
  int index[4];
  float weight[4];
  for (int x = 0; x < w * scale; ++x) {
    taps(x, w, index, weight);
    for (int y = 0; y < h; ++y) {
      float sum = 0;
      for (int k = 0; k < 4; ++k) sum += weight[k] * channel.at(index[k], y, 0);
      wide.at(x, y, 0) = sum;
    }
  }
  image::Image out(w * scale, h * scale, 1);
  for (int y = 0; y < h * scale; ++y) {
    taps(y, h, index, weight);
    for (int x = 0; x < w * scale; ++x) {
      float sum = 0;
      for (int k = 0; k < 4; ++k) sum += weight[k] * wide.at(x, index[k], 0);
      out.at(x, y, 0) = std::clamp(sum, 0.0f, 1.0f);
    }
  }
  return out;
}

image::Image dihedral_transform(const image::Image& in, int index) {
  const bool flip_x = index & 1, flip_y = index & 2, transpose = index & 4;
  const int w = in.width(), h = in.height(), c = in.channels();
  image::Image out(transpose ? h : w, transpose ? w : h, c);
  for (int y = 0; y < out.height(); ++y)
    for (int x = 0; x < out.width(); ++x) {
      int sx = transpose ? y : x, sy = transpose ? x : y;  // undo the transpose first
      if (flip_x) sx = w - 1 - sx;
      if (flip_y) sy = h - 1 - sy;
      for (int k = 0; k < c; ++k) out.at(x, y, k) = in.at(sx, sy, k);
    }
  return out;
}

image::Image inverse_dihedral_transform(const image::Image& in, int index) {
  const bool flip_x = index & 1, flip_y = index & 2, transpose = index & 4;
  const int c = in.channels();
  const int w = transpose ? in.height() : in.width(), h = transpose ? in.width() : in.height();
  image::Image out(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int fx = flip_x ? w - 1 - x : x, fy = flip_y ? h - 1 - y : y;
      const int tx = transpose ? fy : fx, ty = transpose ? fx : fy;
      for (int k = 0; k < c; ++k) out.at(x, y, k) = in.at(tx, ty, k);
    }
  return out;
}

image::Image srgb_aware_resize(const image::Image& in, int width, int height) {
  image::Image linear = in;
  const int colours = in.color_channels();
  for (int y = 0; y < in.height(); ++y)
    for (int x = 0; x < in.width(); ++x)
      for (int k = 0; k < colours; ++k) linear.at(x, y, k) = srgb_to_linear(in.at(x, y, k));
  image::Image out = image::resize(linear, width, height, image::ResampleFilter::kBicubic);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int k = 0; k < colours; ++k) out.at(x, y, k) = linear_to_srgb(out.at(x, y, k));
  return out;
}

}  // namespace upres::cli::ncnn_compat
