// TilePlan: how an image is cut into equal overlapping tiles for a network, and how much each
// tile's output counts at each position (a raised-cosine blend across every core boundary).
// Pure geometry; thread-safe.
#pragma once

#include <vector>

namespace upres::pipeline {

// One tile along one axis: the network sees [input_begin, input_begin + input_length); the tile
// owns [core_begin, core_end), and its weight ramps from 0 to 1 over overlap/... around each inner
// core boundary.
struct TileSpan {
  int input_begin = 0;
  int core_begin = 0, core_end = 0;
};

struct TileAxis {
  int length = 0;        // image length along this axis
  int input_length = 0;  // length every tile's input has (== length when one tile covers it)
  int blend_px = 0;      // width of the blend band centred on each inner core boundary
  std::vector<TileSpan> spans;

  // Weight of tile `index` at image position `position` (pixel centre, in input pixels; may be
  // fractional for output pixels). Weights of all tiles sum to 1 at every position.
  float weight(int index, double position) const;
};

// Cuts `length` into the fewest tiles of at most tile_px, each as short as still covers its core
// plus the overlap (a multiple of `multiple`): 2048 px in 1024 px tiles with 32 px overlap is
// three tiles of 747, not three of 1024, which would compute 1.5x the pixels per axis. Adjacent
// cores abut; every input region extends at least `overlap_px` past its core on inner sides
// (tiles at the end are shifted inwards rather than padded, so no tile sees anything but real
// pixels). The blend band is overlap_px wide, so every pixel used is at least overlap_px / 2 from
// its tile's inner edge. Requires: length >= 1, tile_px >= 3 * overlap_px, overlap_px >= 0,
// multiple >= 1, tile_px and length multiples of `multiple` (or length <= tile_px).
TileAxis plan_tile_axis(int length, int tile_px, int overlap_px, int multiple = 1);

struct TilePlan {
  TileAxis x, y;
  int tile_count() const { return static_cast<int>(x.spans.size() * y.spans.size()); }
};

TilePlan plan_tiles(int width, int height, int tile_px, int overlap_px, int multiple = 1);

}  // namespace upres::pipeline
