// Upscaler: anything that enlarges an image to an exact size: the classical resamplers and,
// later, neural models. Implementations must be safe to call from one thread at a time.
#pragma once

#include <string>

#include "base/result.h"
#include "image/image.h"
#include "pipeline/progress.h"

namespace upres::pipeline {

class Upscaler {
 public:
  virtual ~Upscaler() = default;

  // The display name users pick it by, e.g. "Lanczos" or "R-ESRGAN 4x+".
  virtual std::string name() const = 0;

  // The model's native factor (4 for R-ESRGAN 4x+), or 0 for a resampler that takes any size.
  virtual int native_scale() const { return 0; }

  // A line for the user when the way it will run is not what they asked for (a memory budget
  // below what any of its tiles takes); empty when it is.
  virtual std::string memory_notice() const { return ""; }

  // Returns `input` resized to exactly width x height with the same channels and metadata.
  // Alpha, if any, is upscaled on its own and never dropped.
  // Requires: width, height >= 1. Returns Cancelled when `progress` is cancelled.
  virtual Result<image::Image> upscale(const image::Image& input, int width, int height,
                                       Progress& progress) = 0;
};

}  // namespace upres::pipeline
