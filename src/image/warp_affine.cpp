#include "image/warp_affine.h"

#include <cmath>

namespace upres::image {

Result<AffineTransform> AffineTransform::inverse() const {
  const double det = a * e - b * d;
  if (std::abs(det) < 1e-12) return invalid_argument("affine transform is singular");
  AffineTransform inv;
  inv.a = e / det;
  inv.b = -b / det;
  inv.d = -d / det;
  inv.e = a / det;
  inv.c = -(inv.a * c + inv.b * f);
  inv.f = -(inv.d * c + inv.e * f);
  return inv;
}

Result<Image> warp_affine(const Image& source, const AffineTransform& forward, int width, int height,
                          const std::vector<float>& border) {
  UPRES_ASSIGN_OR_RETURN(AffineTransform back, forward.inverse());
  const int channels = source.channels();
  std::vector<float> fill(channels, 0.0f);
  for (int c = 0; c < channels && c < static_cast<int>(border.size()); ++c) fill[c] = border[c];
  Image out(width, height, channels);
  const int sw = source.width(), sh = source.height();
  auto sample = [&](int x, int y, int c) {
    return (x < 0 || y < 0 || x >= sw || y >= sh) ? fill[c] : source.at(x, y, c);
  };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double sx, sy;
      back.apply(x, y, sx, sy);
      float* dst = out.pixels() + (static_cast<size_t>(y) * width + x) * channels;
      // Far outside: the border colour (also keeps the floor() below in int range).
      if (sx < -2 || sy < -2 || sx > sw + 1 || sy > sh + 1) {
        for (int c = 0; c < channels; ++c) dst[c] = fill[c];
        continue;
      }
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const float fx = static_cast<float>(sx - x0), fy = static_cast<float>(sy - y0);
      for (int c = 0; c < channels; ++c) {
        const float top = sample(x0, y0, c) * (1 - fx) + sample(x0 + 1, y0, c) * fx;
        const float bottom = sample(x0, y0 + 1, c) * (1 - fx) + sample(x0 + 1, y0 + 1, c) * fx;
        dst[c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

}  // namespace upres::image
