// PatchMatchFill: content-aware fill of the border from the picture itself, no weights. A pyramid
// of halved canvases down to a known rectangle of ~32 px; at the coarsest level the border starts as
// the edge repeated and a random field; at each level, EM iterations (Wexler et al. 2007) alternate
// PatchMatch searches and votes, and the field is upsampled to seed the next finer level. The
// finest result gets the seam blend. Deterministic for a seed, whatever the thread count.
#pragma once

#include "outpaint/border_fill.h"

namespace upres::outpaint {

class PatchMatchFill final : public BorderFill {
 public:
  explicit PatchMatchFill(const FillSettings& settings) : seed_(settings.seed), blend_px_(settings.mask_blur_px) {}
  // Pictures under 3 px on a side have no patches to copy: they fall back to the mirror fill.
  Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const override;

 private:
  uint64_t seed_;
  int blend_px_;
};

}  // namespace upres::outpaint
