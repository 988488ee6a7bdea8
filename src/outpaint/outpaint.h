// outpaint: a picture on a bigger canvas with the new border synthesised. The original's samples
// are copied bit for bit and never resampled. Thread-safe.
#pragma once

#include "image/image.h"
#include "outpaint/border_fill.h"
#include "outpaint/canvas_plan.h"

namespace upres::outpaint {

// Places `input` at plan.original on a plan.width x plan.height canvas and lets `fill` write the
// rest; metadata is copied from `input`. An unchanged plan returns `input` as it is.
// Requires: plan made by plan_canvas for input's size. Cancelled, or the fill's error.
Result<image::Image> outpaint(const image::Image& input, const CanvasPlan& plan, const BorderFill& fill,
                              const FillContext& context = {});

}  // namespace upres::outpaint
