#include "pipeline/tile_plan.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace upres::pipeline {
namespace {

// sin^2 ramp: 0 at t <= 0, 1 at t >= 1, and ramp(t) + ramp(1 - t) == 1.
float ramp(double t) {
  t = std::clamp(t, 0.0, 1.0);
  double s = std::sin(std::numbers::pi / 2 * t);
  return static_cast<float>(s * s);
}

}  // namespace

TileAxis plan_tile_axis(int length, int tile_px, int overlap_px, int multiple) {
  TileAxis axis;
  axis.length = length;
  if (length <= tile_px) {
    axis.input_length = length;
    axis.spans.push_back({0, 0, length});
    return axis;
  }
  axis.blend_px = overlap_px;
  const int core_px = tile_px - 2 * overlap_px;
  const int count = (length + core_px - 1) / core_px;
  // The longest core (cores split the length as evenly as integers allow) plus the overlap on both
  // sides; at most tile_px, because that core is at most core_px.
  const int longest_core = (length + count - 1) / count;
  const int needed = longest_core + 2 * overlap_px;
  axis.input_length = std::min(tile_px, (needed + multiple - 1) / multiple * multiple);
  for (int i = 0; i < count; ++i) {
    int core_begin = static_cast<int>(static_cast<long>(length) * i / count);
    int core_end = static_cast<int>(static_cast<long>(length) * (i + 1) / count);
    int input_begin = std::clamp(core_begin - overlap_px, 0, length - axis.input_length);
    axis.spans.push_back({input_begin, core_begin, core_end});
  }
  return axis;
}

float TileAxis::weight(int index, double position) const {
  const TileSpan& span = spans[index];
  float w = 1.0f;
  if (blend_px == 0) return w;
  const double half = blend_px / 2.0;
  if (index > 0) w *= ramp((position - span.core_begin + half) / blend_px);
  if (index + 1 < static_cast<int>(spans.size())) w *= ramp((span.core_end + half - position) / blend_px);
  return w;
}

TilePlan plan_tiles(int width, int height, int tile_px, int overlap_px, int multiple) {
  return {plan_tile_axis(width, tile_px, overlap_px, multiple), plan_tile_axis(height, tile_px, overlap_px, multiple)};
}

}  // namespace upres::pipeline
