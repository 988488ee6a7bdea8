// The coarser levels PatchMatch starts from: each halves the canvas; a pixel of the halved known
// rectangle is the mean of the 2x2 known pixels under it, so the known region never blurs into
// the unknown one. Pure functions; thread-safe.
#pragma once

#include "image/image.h"
#include "outpaint/canvas_plan.h"

namespace upres::outpaint {

// The known rectangle one level down: start rounded up, end rounded down (whole 2x2 blocks only).
Rect half_rect(const Rect& known);

// A ceil(width/2) x ceil(height/2) canvas whose pixels inside half_rect(known) are 2x2 means of
// `canvas`'s; the others are 0. Requires: `known` inside the canvas.
image::Image half_canvas(const image::Image& canvas, const Rect& known, int threads);

}  // namespace upres::outpaint
