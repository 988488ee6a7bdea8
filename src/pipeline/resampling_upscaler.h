// ResamplingUpscaler: a classical upscaler (Lanczos, Nearest, Bicubic) as an Upscaler.
// Stateless; thread-safe.
#pragma once

#include <string>

#include "image/resample.h"
#include "pipeline/upscaler.h"

namespace upres::pipeline {

class ResamplingUpscaler : public Upscaler {
 public:
  ResamplingUpscaler(std::string name, image::ResampleFilter filter)
      : name_(std::move(name)), filter_(filter) {}

  std::string name() const override { return name_; }
  Result<image::Image> upscale(const image::Image& input, int width, int height,
                               Progress& progress) override;

 private:
  std::string name_;
  image::ResampleFilter filter_;
};

}  // namespace upres::pipeline
