// ExtrasRequest: everything one "Extras" run is asked to do, as the reference web UI's extras tab
// and its /sdapi/v1/extra-* endpoints describe it. Plain value type.
#pragma once

#include <string>

#include "base/status.h"
#include "outpaint/fill_engine.h"

namespace upres::pipeline {

enum class ResizeMode { kScaleBy = 0, kScaleTo = 1 };

struct ExtrasRequest {
  ResizeMode resize_mode = ResizeMode::kScaleBy;
  double scale = 4.0;        // used when resize_mode == kScaleBy; 1..16
  int target_width = 512;    // used when resize_mode == kScaleTo
  int target_height = 512;
  bool crop_to_fit = true;   // kScaleTo: centre-crop to exactly target_width x target_height
  // kScaleTo: fit inside the box, then outpaint to exactly target_width x target_height (the CLI's
  // --fit outpaint; crop_to_fit is ignored). Not an /sdapi/v1 field.
  bool outpaint_to_fit = false;
  outpaint::FillSettings outpaint_fill;
  std::string upscaler_1 = "Lanczos";
  std::string upscaler_2 = "None";
  double upscaler_2_visibility = 0.0;  // 0 = upscaler 1 only, 1 = upscaler 2 only
  double gfpgan_visibility = 0.0;      // 0 skips GFPGAN
  double codeformer_visibility = 0.0;  // 0 skips CodeFormer
  double codeformer_weight = 0.0;      // 0 = strongest effect, 1 = weakest

  // InvalidArgument naming the field when a value is out of its range.
  Status validate() const;
};

}  // namespace upres::pipeline
