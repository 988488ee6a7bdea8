#include "outpaint/classic_fills.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/parallel_for.h"

namespace upres::outpaint {
namespace {

// Sets every pixel outside `original` to the pixel `source(x, y)` names (inside `original`).
template <typename Source>
void copy_from_inside(image::Image& canvas, const Rect& original, int threads, Source source) {
  const int channels = canvas.channels();
  parallel_for(canvas.height(), threads, [&](int y) {
    for (int x = 0; x < canvas.width(); ++x) {
      if (original.contains(x, y)) continue;
      auto [sx, sy] = source(x, y);
      for (int c = 0; c < channels; ++c) canvas.at(x, y, c) = canvas.at(sx, sy, c);
    }
  });
}

// The mean of the original's outermost ring of pixels, per channel.
std::array<float, 4> edge_mean(const image::Image& canvas, const Rect& r) {
  std::array<double, 4> sum = {};
  long count = 0;
  auto add = [&](int x, int y) {
    for (int c = 0; c < canvas.channels(); ++c) sum[c] += canvas.at(x, y, c);
    ++count;
  };
  for (int x = r.x; x < r.right(); ++x) {
    add(x, r.y);
    if (r.height > 1) add(x, r.bottom() - 1);
  }
  for (int y = r.y + 1; y < r.bottom() - 1; ++y) {
    add(r.x, y);
    if (r.width > 1) add(r.right() - 1, y);
  }
  std::array<float, 4> mean = {};
  for (int c = 0; c < 4; ++c) mean[c] = static_cast<float>(sum[c] / std::max(1L, count));
  return mean;
}

}  // namespace

int reflect_coordinate(int v, int begin, int end) {
  const int n = end - begin;
  if (n <= 1) return begin;
  const int period = 2 * (n - 1);
  int t = (v - begin) % period;
  if (t < 0) t += period;
  if (t >= n) t = period - t;
  return begin + t;
}

float distance_to_rect(int x, int y, const Rect& r) {
  const int dx = x < r.x ? r.x - x : x >= r.right() ? x - r.right() + 1 : 0;
  const int dy = y < r.y ? r.y - y : y >= r.bottom() ? y - r.bottom() + 1 : 0;
  return std::sqrt(static_cast<float>(dx * dx + dy * dy));
}

Status EdgeFill::fill(image::Image& canvas, const Rect& original, const FillContext& context) const {
  copy_from_inside(canvas, original, context.threads, [&](int x, int y) {
    return std::pair{std::clamp(x, original.x, original.right() - 1), std::clamp(y, original.y, original.bottom() - 1)};
  });
  return Status::ok();
}

Status MirrorFill::fill(image::Image& canvas, const Rect& original, const FillContext& context) const {
  copy_from_inside(canvas, original, context.threads, [&](int x, int y) {
    return std::pair{reflect_coordinate(x, original.x, original.right()),
                     reflect_coordinate(y, original.y, original.bottom())};
  });
  return Status::ok();
}

Status ColorFill::fill(image::Image& canvas, const Rect& original, const FillContext& context) const {
  const int channels = canvas.channels();
  std::array<float, 4> rgba = color_ ? *color_ : edge_mean(canvas, original);
  std::array<float, 4> color = rgba;  // in the canvas's channel layout
  if (color_ && canvas.color_channels() == 1) {
    color[0] = (rgba[0] + rgba[1] + rgba[2]) / 3;
    color[1] = rgba[3];
  }
  parallel_for(canvas.height(), context.threads, [&](int y) {
    for (int x = 0; x < canvas.width(); ++x) {
      if (original.contains(x, y)) continue;
      const float d = distance_to_rect(x, y, original);
      // Weight of the flat colour: 0 at the edge, 1 from blend_px on (smoothstep).
      float t = blend_px_ > 0 ? std::min(1.0f, (d - 1) / blend_px_) : 1.0f;
      t = t * t * (3 - 2 * t);
      const int sx = std::clamp(x, original.x, original.right() - 1);
      const int sy = std::clamp(y, original.y, original.bottom() - 1);
      for (int c = 0; c < channels; ++c) canvas.at(x, y, c) = (1 - t) * canvas.at(sx, sy, c) + t * color[c];
    }
  });
  return Status::ok();
}

}  // namespace upres::outpaint
