// NearestNeighborField: for every patch centre whose patch (clipped to the canvas) holds an
// unknown pixel, the centre of the most similar patch lying wholly inside the known rectangle,
// found by PatchMatch (Barnes et al. 2009): random start, propagation from the neighbours, random
// search in shrinking windows. Patches are (2r+1)^2 pixels, distance = sum of squared differences
// over every channel. Searches are deterministic for a seed whatever the thread count: rows run in
// fixed stripes, even stripes then odd ones, each stripe with its own random stream.
// Not thread-safe; the methods use threads internally.
#pragma once

#include <cstdint>
#include <vector>

#include "image/image.h"
#include "outpaint/canvas_plan.h"

namespace upres::outpaint {

// The patch centres an NNF holds: every pixel except those whose patch lies inside `known`.
class TargetRegion {
 public:
  TargetRegion(int width, int height, const Rect& known, int radius);
  int64_t size() const { return row_start_.back(); }
  // Row y's targets are [0, gap_begin) and [gap_end, width); gap_begin == gap_end when the row has no gap.
  void row_gap(int y, int& gap_begin, int& gap_end) const {
    const bool in_core = y >= core_.y && y < core_.bottom();
    gap_begin = in_core ? core_.x : width_;
    gap_end = in_core ? core_.right() : width_;
  }
  bool contains(int x, int y) const {
    return x >= 0 && y >= 0 && x < width_ && y < height_ && !core_.contains(x, y);
  }
  // Requires: contains(x, y).
  int64_t index(int x, int y) const {
    int gap_begin, gap_end;
    row_gap(y, gap_begin, gap_end);
    return row_start_[y] + (x < gap_begin ? x : x - (gap_end - gap_begin));
  }

 private:
  int width_, height_;
  Rect core_;                      // centres whose patch is wholly known: not targets
  std::vector<int64_t> row_start_;  // height + 1 entries
};

// One level of the synthesis: the canvas (known pixels inside `known`) and the patch radius.
struct PatchSpace {
  const image::Image* canvas;
  Rect known;
  int radius;
  // Source centres: [source.x, source.right()) x [source.y, source.bottom()).
  Rect sources() const {
    return {known.x + radius, known.y + radius, known.width - 2 * radius, known.height - 2 * radius};
  }
};

class NearestNeighborField {
 public:
  // Requires: space.sources() is not empty; canvas sides <= 65535.
  explicit NearestNeighborField(const PatchSpace& space);

  const TargetRegion& region() const { return region_; }
  int radius() const { return radius_; }
  // Source centre and distance of target `index`.
  int source_x(int64_t i) const { return source_x_[i]; }
  int source_y(int64_t i) const { return source_y_[i]; }
  float distance(int64_t i) const { return distance_[i]; }

  // Sets target `i`'s source (a source centre); its distance is measured by the next search.
  void assign(int64_t i, int sx, int sy) {
    source_x_[i] = static_cast<uint16_t>(sx);
    source_y_[i] = static_cast<uint16_t>(sy);
  }
  // Every target gets a uniformly random source; distances are computed.
  void randomize(const PatchSpace& space, uint64_t seed, int threads);
  // Starts from a field of the level above (half the size): source = 2 * coarse + (x & 1, y & 1),
  // clamped to the sources; distances copied (they compare as the patch size is the same).
  void upsample(const NearestNeighborField& coarse, const PatchSpace& space);
  // One PatchMatch pass: forward (scan order, left and up neighbours) for even `pass`, backward
  // for odd. recompute: the canvas changed since the distances were measured.
  void search(const PatchSpace& space, int pass, bool recompute, uint64_t seed, int threads);

 private:
  TargetRegion region_;
  int radius_;
  std::vector<uint16_t> source_x_, source_y_;
  std::vector<float> distance_;
};

// Squared difference of the target patch at (tx, ty), clipped to the canvas, and the source patch at
// (sx, sy); stops adding once past `limit`. Exposed for tests.
float patch_distance(const PatchSpace& space, int tx, int ty, int sx, int sy, float limit);

}  // namespace upres::outpaint
