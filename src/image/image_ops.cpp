#include "image/image_ops.h"

#include <algorithm>
#include <cassert>

namespace upres::image {

Image blend(const Image& a, const Image& b, float weight) {
  assert(a.width() == b.width() && a.height() == b.height() && a.channels() == b.channels());
  Image out(a.width(), a.height(), a.channels());
  out.metadata = a.metadata;
  const float* pa = a.pixels();
  const float* pb = b.pixels();
  float* po = out.pixels();
  const float keep = 1.0f - weight;
  for (size_t i = 0; i < a.sample_count(); ++i) po[i] = keep * pa[i] + weight * pb[i];
  return out;
}

Image crop(const Image& input, int left, int top, int width, int height) {
  assert(left >= 0 && top >= 0 && left + width <= input.width() && top + height <= input.height());
  Image out(width, height, input.channels());
  out.metadata = input.metadata;
  const size_t row_samples = static_cast<size_t>(width) * input.channels();
  for (int y = 0; y < height; ++y) {
    const float* src = &input.pixels()[(static_cast<size_t>(top + y) * input.width() + left) * input.channels()];
    std::copy(src, src + row_samples, &out.pixels()[static_cast<size_t>(y) * row_samples]);
  }
  return out;
}

}  // namespace upres::image
