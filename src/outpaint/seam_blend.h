// The mask blur of a synthesised border: within blend_px of the original, the new pixels' low
// frequencies are pulled towards the original's edge: the colour step between blend_px-deep strips
// on either side of the seam, smoothed along it, is added with a weight that falls from 1 at the
// seam to 0 at blend_px; then the band is feathered: the original mirrored about the seam, weighted
// the same way, blends into the fill, so the first new pixels continue the original's last ones.
// The original is not touched. Uses threads; deterministic.
#pragma once

#include "image/image.h"
#include "outpaint/canvas_plan.h"

namespace upres::outpaint {

// Requires: `original` inside the canvas. blend_px <= 0 does nothing.
void blend_seam(image::Image& canvas, const Rect& original, int blend_px, int threads);

}  // namespace upres::outpaint
