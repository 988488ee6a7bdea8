// LamaFill: the border synthesised by an inpainting network (LaMa) that sees the picture and a mask.
// The network is a callback, so this module stays free of models/ (pipeline/ binds big-lama).
// Each added side is filled in turn (left, right, top, bottom; a later side sees the earlier ones
// as known, so corners are coherent) in windows that reach into the picture for context: scaled so
// the window is about tile_px across, padded to the network's size multiple, tiled along long
// borders with overlaps that cross-fade, scaled back, and blended into the original with the mask
// blur (seam_blend.h). Alpha and grey work as elsewhere: alpha takes the edge fill, grey pictures
// run as RGB and keep the mean. Immutable after construction; fill() may run concurrently if the
// callback may.
#pragma once

#include <functional>

#include "outpaint/border_fill.h"

namespace upres::outpaint {

// input: [4, height, width] planar fp32 = (rgb * (1 - mask), mask), mask 1 where pixels are to be
// made; output: [3, height, width] planar RGB in [0, 1].
using TileInpainter = std::function<Status(const float* input, int height, int width, float* output)>;

struct LamaTiling {
  int tile_px = 512;      // network pixels across a window (and along one tile)
  int size_multiple = 8;  // the network's: window sides are multiples of it, at least twice it
  int min_context_px = 128;  // picture pixels a window reaches past the seam (more when the side is wider)
};

class LamaFill final : public BorderFill {
 public:
  LamaFill(const FillSettings& settings, TileInpainter inpaint, LamaTiling tiling = {});
  Status fill(image::Image& canvas, const Rect& original, const FillContext& context) const override;

 private:
  TileInpainter inpaint_;
  LamaTiling tiling_;
  int blend_px_;
};

}  // namespace upres::outpaint
