// The fills that copy or paint without searching: edge (the outermost row or column repeated),
// mirror (the picture reflected at its edges, as OpenCV's BORDER_REFLECT_101) and color (one flat
// colour, faded in from the edge across the mask blur). Thread-safe.
#pragma once

#include <array>
#include <optional>

#include "outpaint/border_fill.h"

namespace upres::outpaint {

// Coordinate v folded into [begin, end) by reflection about the end pixels (…2 1 0 1 2…).
int reflect_coordinate(int v, int begin, int end);
// Euclidean distance from (x, y) to the nearest pixel of `rect`; 0 inside.
float distance_to_rect(int x, int y, const Rect& rect);

class EdgeFill final : public BorderFill {
 public:
  Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const override;
};

class MirrorFill final : public BorderFill {
 public:
  Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const override;
};

class ColorFill final : public BorderFill {
 public:
  // color unset: the mean of the original's outermost pixels. blend_px: the edge fades into the
  // colour over this many pixels (0: a hard edge).
  ColorFill(std::optional<std::array<float, 4>> color, int blend_px) : color_(color), blend_px_(blend_px) {}
  Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const override;

 private:
  std::optional<std::array<float, 4>> color_;
  int blend_px_;
};

}  // namespace upres::outpaint
