// Whole-image pixel operations the pipeline composes: blending two results, cropping.
// Pure functions; thread-safe.
#pragma once

#include "image/image.h"

namespace upres::image {

// (1 - weight) * a + weight * b per sample, as PIL's Image.blend. Metadata from `a`.
// Requires: a and b have the same width, height and channels; 0 <= weight <= 1.
Image blend(const Image& a, const Image& b, float weight);

// The width x height window whose top-left corner is (left, top). Metadata copied.
// Requires: the window lies inside `input`.
Image crop(const Image& input, int left, int top, int width, int height);

}  // namespace upres::image
