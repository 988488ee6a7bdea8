// Affine warping as cv2.warpAffine does it (INTER_LINEAR, BORDER_CONSTANT): the transform type and
// the bilinear warp that the face pipeline uses to cut aligned faces out and paste them back.
// Plain values and pure functions; thread-safe.
#pragma once

#include <vector>

#include "base/result.h"
#include "image/image.h"

namespace upres::image {

// x' = a*x + b*y + c, y' = d*x + e*y + f (OpenCV's 2x3 matrix, row by row). Pixel centres sit at
// integer coordinates, as in OpenCV.
struct AffineTransform {
  double a = 1, b = 0, c = 0;
  double d = 0, e = 1, f = 0;

  void apply(double x, double y, double& out_x, double& out_y) const {
    out_x = a * x + b * y + c;
    out_y = d * x + e * y + f;
  }
  // The inverse mapping (cv2.invertAffineTransform); InvalidArgument when singular.
  Result<AffineTransform> inverse() const;
};

// The width x height picture whose pixel (x, y) samples `source` bilinearly at
// forward^-1(x, y), as cv2.warpAffine(source, forward, (width, height)). Samples outside
// `source` read `border` (one value per channel; missing values are 0). Metadata not copied.
// Requires: width, height >= 1. InvalidArgument when `forward` is singular.
Result<Image> warp_affine(const Image& source, const AffineTransform& forward, int width, int height,
                          const std::vector<float>& border = {});

}  // namespace upres::image
