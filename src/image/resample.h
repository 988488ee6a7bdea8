// Classical resamplers: the reference UI's Nearest and Lanczos (PIL's definitions, so results
// match PIL's Image.resize) and Bicubic (PIL's BICUBIC). Thread-safe; pure functions.
#pragma once

#include "image/image.h"

namespace upres::image {

enum class ResampleFilter { kNearest, kBicubic, kLanczos };

// Returns `input` resized to width x height; every channel (alpha included) resampled on its own,
// results clamped to [0, 1]; metadata copied. Requires: width, height >= 1, !input.empty().
Image resize(const Image& input, int width, int height, ResampleFilter filter);

}  // namespace upres::image
