#include "image/mask_filters.h"

#include <algorithm>
#include <cmath>

namespace upres::image {
namespace {

// BORDER_REFLECT_101: ... 2 1 | 0 1 2 ... n-1 | n-2 n-3 ...
int reflect_101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// Minimum over [i - anchor, i - anchor + size) along one axis, clipped to the line.
void erode_line(const float* in, float* out, int n, size_t stride, int size) {
  const int anchor = size / 2;
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - anchor), hi = std::min(n - 1, i - anchor + size - 1);
    float m = in[lo * stride];
    for (int j = lo + 1; j <= hi; ++j) m = std::min(m, in[j * stride]);
    out[i * stride] = m;
  }
}

void convolve_line(const float* in, float* out, int n, size_t stride, const std::vector<float>& kernel) {
  const int radius = static_cast<int>(kernel.size()) / 2;
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    for (int k = -radius; k <= radius; ++k) sum += kernel[k + radius] * in[reflect_101(i + k, n) * stride];
    out[i * stride] = static_cast<float>(sum);
  }
}

}  // namespace

Image erode(const Image& mask, int size) {
  if (size <= 1) return mask;
  const int w = mask.width(), h = mask.height();
  Image rows(w, h, 1), out(w, h, 1);
  for (int y = 0; y < h; ++y) erode_line(mask.pixels() + static_cast<size_t>(y) * w, rows.pixels() + static_cast<size_t>(y) * w, w, 1, size);
  for (int x = 0; x < w; ++x) erode_line(rows.pixels() + x, out.pixels() + x, h, w, size);
  out.metadata = mask.metadata;
  return out;
}

std::vector<float> gaussian_kernel(int size, double sigma) {
  // OpenCV's small_gaussian_tab, used for sizes 1..7 when sigma is not given.
  static const std::vector<float> kFixed[4] = {
      {1.0f},
      {0.25f, 0.5f, 0.25f},
      {0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f},
      {0.03125f, 0.109375f, 0.21875f, 0.28125f, 0.21875f, 0.109375f, 0.03125f}};
  if (sigma <= 0 && size <= 7) return kFixed[size / 2];
  if (sigma <= 0) sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  std::vector<double> values(size);
  double sum = 0;
  for (int i = 0; i < size; ++i) {
    const double x = i - (size - 1) * 0.5;
    values[i] = std::exp(-x * x / (2 * sigma * sigma));
    sum += values[i];
  }
  std::vector<float> kernel(size);
  for (int i = 0; i < size; ++i) kernel[i] = static_cast<float>(values[i] / sum);
  return kernel;
}

Image gaussian_blur(const Image& mask, int size, double sigma) {
  const std::vector<float> kernel = gaussian_kernel(size, sigma);
  const int w = mask.width(), h = mask.height();
  Image rows(w, h, 1), out(w, h, 1);
  for (int y = 0; y < h; ++y) convolve_line(mask.pixels() + static_cast<size_t>(y) * w, rows.pixels() + static_cast<size_t>(y) * w, w, 1, kernel);
  for (int x = 0; x < w; ++x) convolve_line(rows.pixels() + x, out.pixels() + x, h, w, kernel);
  out.metadata = mask.metadata;
  return out;
}

}  // namespace upres::image
