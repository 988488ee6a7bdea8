#include "outpaint/seam_blend.h"

#include <algorithm>
#include <vector>

#include "outpaint/classic_fills.h"
#include "base/parallel_for.h"

namespace upres::outpaint {
namespace {

using Steps = std::vector<float>;  // length * channels, interleaved

// Coordinate v reflected into [begin, end) about the seams between pixels (…1 0 | 0 1…).
int mirror_coordinate(int v, int begin, int end) {
  const int n = end - begin, period = 2 * n;
  int t = (v - begin) % period;
  if (t < 0) t += period;
  return begin + (t >= n ? period - 1 - t : t);
}

// Box blur along the seam, twice (close to a Gaussian), edges clamped.
Steps smooth(const Steps& in, int length, int channels, int radius) {
  Steps a = in, b(in.size());
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < length; ++i)
      for (int c = 0; c < channels; ++c) {
        float sum = 0;
        for (int k = -radius; k <= radius; ++k) sum += a[std::clamp(i + k, 0, length - 1) * channels + c];
        b[i * channels + c] = sum / (2 * radius + 1);
      }
    std::swap(a, b);
  }
  return a;
}

// The colour step across one side: the mean of `depth` original pixels inward minus the mean of
// `depth` new pixels outward, at each position along the seam, then smoothed along it. Means over a
// strip (not the two pixels at the seam) keep a real edge that lies on the seam from reading as a step.
Steps side_steps(const image::Image& canvas, int length, int depth, int radius, auto new_pixel, auto old_pixel) {
  const int channels = canvas.channels();
  Steps steps(static_cast<size_t>(length) * channels, 0.0f);
  for (int i = 0; i < length; ++i)
    for (int k = 0; k < depth; ++k) {
      auto [nx, ny] = new_pixel(i, k);
      auto [ox, oy] = old_pixel(i, k);
      for (int c = 0; c < channels; ++c) steps[i * channels + c] += (canvas.at(ox, oy, c) - canvas.at(nx, ny, c)) / depth;
    }
  return smooth(steps, length, channels, radius);
}

}  // namespace

void blend_seam(image::Image& canvas, const Rect& o, int blend_px, int threads) {
  if (blend_px <= 0) return;
  const int channels = canvas.channels();
  const int radius = std::max(2, 2 * blend_px);
  const Steps zero(static_cast<size_t>(std::max(o.width, o.height)) * channels, 0.0f);
  const Borders added{o.x, o.y, canvas.width() - o.right(), canvas.height() - o.bottom()};
  const int across = std::min({blend_px, o.width}), down = std::min({blend_px, o.height});
  const Steps left = added.left > 0
      ? side_steps(canvas, o.height, std::min(across, added.left), radius,
                   [&](int i, int k) { return std::pair{o.x - 1 - k, o.y + i}; },
                   [&](int i, int k) { return std::pair{o.x + k, o.y + i}; }) : zero;
  const Steps right = added.right > 0
      ? side_steps(canvas, o.height, std::min(across, added.right), radius,
                   [&](int i, int k) { return std::pair{o.right() + k, o.y + i}; },
                   [&](int i, int k) { return std::pair{o.right() - 1 - k, o.y + i}; }) : zero;
  const Steps top = added.top > 0
      ? side_steps(canvas, o.width, std::min(down, added.top), radius,
                   [&](int i, int k) { return std::pair{o.x + i, o.y - 1 - k}; },
                   [&](int i, int k) { return std::pair{o.x + i, o.y + k}; }) : zero;
  const Steps bottom = added.bottom > 0
      ? side_steps(canvas, o.width, std::min(down, added.bottom), radius,
                   [&](int i, int k) { return std::pair{o.x + i, o.bottom() + k}; },
                   [&](int i, int k) { return std::pair{o.x + i, o.bottom() - 1 - k}; }) : zero;
  const int y0 = std::max(0, o.y - blend_px), y1 = std::min(canvas.height(), o.bottom() + blend_px);
  parallel_for(y1 - y0, threads, [&](int row) {
    const int y = y0 + row;
    for (int x = std::max(0, o.x - blend_px); x < std::min(canvas.width(), o.right() + blend_px); ++x) {
      if (o.contains(x, y)) continue;
      const float d = distance_to_rect(x, y, o);
      if (d > blend_px) continue;
      float t = 1 - (d - 1) / blend_px;  // 1 next to the original, 0 at blend_px
      t = t * t * (3 - 2 * t);
      const bool is_left = x < o.x, is_right = x >= o.right(), is_up = y < o.y, is_down = y >= o.bottom();
      const int yi = std::clamp(y - o.y, 0, o.height - 1), xi = std::clamp(x - o.x, 0, o.width - 1);
      // The feather: next to the seam the original reflected about it (continuous with it, textured),
      // fading into the synthesised pixels by blend_px.
      const int mx = mirror_coordinate(x, o.x, o.right()), my = mirror_coordinate(y, o.y, o.bottom());
      for (int c = 0; c < channels; ++c) {
        const float side_x = is_left ? left[yi * channels + c] : is_right ? right[yi * channels + c] : 0;
        const float side_y = is_up ? top[xi * channels + c] : is_down ? bottom[xi * channels + c] : 0;
        const float step = (is_left || is_right) && (is_up || is_down) ? 0.5f * (side_x + side_y) : side_x + side_y;
        const float corrected = std::clamp(canvas.at(x, y, c) + t * step, 0.0f, 1.0f);
        canvas.at(x, y, c) = t * canvas.at(mx, my, c) + (1 - t) * corrected;
      }
    }
  });
}

}  // namespace upres::outpaint
