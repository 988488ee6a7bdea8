#include "outpaint/onion_fill.h"

#include <algorithm>
#include <limits>

namespace upres::outpaint {
namespace {

constexpr int kRandomCandidates = 8;
constexpr int kExtraRadius = 2;

// Mean squared difference over the pixels of the patch at (tx, ty) that are filled.
float masked_distance(const image::Image& canvas, const std::vector<uint8_t>& filled, int r, int tx, int ty,
                      int sx, int sy, float limit) {
  const int width = canvas.width(), height = canvas.height(), channels = canvas.channels();
  float sum = 0;
  int count = 0;
  for (int dy = -r; dy <= r; ++dy) {
    const int y = ty + dy;
    if (y < 0 || y >= height) continue;
    for (int dx = -r; dx <= r; ++dx) {
      const int x = tx + dx;
      if (x < 0 || x >= width || !filled[static_cast<size_t>(y) * width + x]) continue;
      for (int c = 0; c < channels; ++c) {
        const float d = canvas.at(x, y, c) - canvas.at(sx + dx, sy + dy, c);
        sum += d * d;
      }
      ++count;
    }
    if (count > 0 && sum / (count + 2 * r + 1) > limit) break;  // cannot beat the best any more
  }
  return count > 0 ? sum / count : std::numeric_limits<float>::infinity();
}

}  // namespace

void onion_fill(const PatchSpace& space, image::Image& canvas, NearestNeighborField& field, uint64_t seed) {
  // Wider patches than the search's: the first ring sees only half a patch of known pixels, and a
  // stripe as wide as that half would leave the phase of its continuation open.
  const int r = std::min(space.radius + kExtraRadius, (std::min(space.known.width, space.known.height) - 1) / 2);
  const Rect known = space.known, src = PatchSpace{space.canvas, known, r}.sources();
  const int width = canvas.width(), height = canvas.height(), channels = canvas.channels();
  std::vector<uint8_t> filled(static_cast<size_t>(width) * height, 0);
  std::vector<int> match_x(filled.size()), match_y(filled.size());
  for (int y = known.y; y < known.bottom(); ++y)
    for (int x = known.x; x < known.right(); ++x) {
      filled[static_cast<size_t>(y) * width + x] = 1;
      match_x[static_cast<size_t>(y) * width + x] = x;
      match_y[static_cast<size_t>(y) * width + x] = y;
    }
  uint64_t state = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
  auto random_below = [&](int n) {
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return static_cast<int>((((state * 0x2545f4914f6cdd1dull) >> 32) * static_cast<uint64_t>(n)) >> 32);
  };
  const int max_radius = std::max(src.width, src.height);
  auto visit = [&](int x, int y) {
    int bx = src.x, by = src.y;
    float best = std::numeric_limits<float>::infinity();
    auto consider = [&](int sx, int sy) {
      sx = std::clamp(sx, src.x, src.right() - 1);
      sy = std::clamp(sy, src.y, src.bottom() - 1);
      const float d = masked_distance(canvas, filled, r, x, y, sx, sy, best);
      if (d < best) best = d, bx = sx, by = sy;
    };
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height || !filled[static_cast<size_t>(ny) * width + nx]) continue;
        consider(match_x[static_cast<size_t>(ny) * width + nx] - dx, match_y[static_cast<size_t>(ny) * width + nx] - dy);
      }
    for (int i = 0; i < kRandomCandidates; ++i) consider(src.x + random_below(src.width), src.y + random_below(src.height));
    for (int radius = max_radius; radius >= 1; radius /= 2)
      consider(bx + random_below(2 * radius + 1) - radius, by + random_below(2 * radius + 1) - radius);
    const size_t p = static_cast<size_t>(y) * width + x;
    for (int c = 0; c < channels; ++c) canvas.at(x, y, c) = canvas.at(bx, by, c);
    filled[p] = 1;
    match_x[p] = bx;
    match_y[p] = by;
    if (field.region().contains(x, y)) field.assign(field.region().index(x, y), bx, by);
  };
  // Ring d: the pixels at Chebyshev distance d from the known rectangle, clockwise from top-left.
  const int rings = std::max({known.x, known.y, width - known.right(), height - known.bottom()});
  for (int d = 1; d <= rings; ++d) {
    const int x0 = known.x - d, x1 = known.right() - 1 + d, y0 = known.y - d, y1 = known.bottom() - 1 + d;
    auto inside = [&](int x, int y) { return x >= 0 && y >= 0 && x < width && y < height; };
    for (int x = x0; x <= x1; ++x)
      if (inside(x, y0)) visit(x, y0);
    for (int y = y0 + 1; y <= y1; ++y)
      if (inside(x1, y)) visit(x1, y);
    for (int x = x1 - 1; x >= x0; --x)
      if (inside(x, y1)) visit(x, y1);
    for (int y = y1 - 1; y > y0; --y)
      if (inside(x0, y)) visit(x0, y);
  }
}

}  // namespace upres::outpaint
