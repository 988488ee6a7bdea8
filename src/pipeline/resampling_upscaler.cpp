#include "pipeline/resampling_upscaler.h"

namespace upres::pipeline {

Result<image::Image> ResamplingUpscaler::upscale(const image::Image& input, int width, int height,
                                                 Progress& progress) {
  if (progress.is_cancelled()) return cancelled("interrupted before " + name_);
  progress.report({name_, 0, 1});
  image::Image out = image::resize(input, width, height, filter_);
  progress.report({name_, 1, 1});
  return out;
}

}  // namespace upres::pipeline
