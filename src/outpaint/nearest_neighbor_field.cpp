#include "outpaint/nearest_neighbor_field.h"

#include <algorithm>
#include <limits>

#include "base/parallel_for.h"

namespace upres::outpaint {
namespace {

constexpr int kStripeRows = 16;
constexpr float kInfinity = std::numeric_limits<float>::infinity();

// splitmix64: seeds one random stream per (seed, pass, stripe).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Random {
  uint64_t state;
  uint32_t next() {  // xorshift64*
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<uint32_t>((state * 0x2545f4914f6cdd1dull) >> 32);
  }
  int below(int n) { return static_cast<int>((static_cast<uint64_t>(next()) * n) >> 32); }
};

// The patch offsets of target (tx, ty) that fall inside the canvas: [x0, x1] x [y0, y1].
struct Clip {
  int x0, x1, y0, y1;
};
Clip clip(const PatchSpace& s, int tx, int ty) {
  const int r = s.radius;
  return {std::max(-r, -tx), std::min(r, s.canvas->width() - 1 - tx), std::max(-r, -ty),
          std::min(r, s.canvas->height() - 1 - ty)};
}

template <int C>
float ssd(const float* pixels, int width, int tx, int ty, int sx, int sy, const Clip& k, float limit) {
  const int n = (k.x1 - k.x0 + 1) * C;
  float sum = 0;
  for (int dy = k.y0; dy <= k.y1; ++dy) {
    const float* a = pixels + (static_cast<size_t>(ty + dy) * width + tx + k.x0) * C;
    const float* b = pixels + (static_cast<size_t>(sy + dy) * width + sx + k.x0) * C;
    float row = 0;
#pragma omp simd reduction(+ : row)
    for (int i = 0; i < n; ++i) {
      const float d = a[i] - b[i];
      row += d * d;
    }
    sum += row;
    if (sum >= limit) return sum;
  }
  return sum;
}

// Cloned for AVX2 (picked at load time where the CPU has it): 8-wide rows instead of 4.
__attribute__((target_clones("avx2", "default")))
float clipped_distance(const PatchSpace& s, int tx, int ty, int sx, int sy, const Clip& k, float limit) {
  const float* p = s.canvas->pixels();
  const int w = s.canvas->width();
  switch (s.canvas->channels()) {
    case 1: return ssd<1>(p, w, tx, ty, sx, sy, k, limit);
    case 2: return ssd<2>(p, w, tx, ty, sx, sy, k, limit);
    case 3: return ssd<3>(p, w, tx, ty, sx, sy, k, limit);
    default: return ssd<4>(p, w, tx, ty, sx, sy, k, limit);
  }
}

}  // namespace

TargetRegion::TargetRegion(int width, int height, const Rect& known, int radius)
    : width_(width), height_(height),
      core_{known.x + radius, known.y + radius, std::max(0, known.width - 2 * radius),
            std::max(0, known.height - 2 * radius)} {
  row_start_.resize(static_cast<size_t>(height) + 1);
  row_start_[0] = 0;
  for (int y = 0; y < height; ++y) {
    int gap_begin, gap_end;
    row_gap(y, gap_begin, gap_end);
    row_start_[y + 1] = row_start_[y] + width - (gap_end - gap_begin);
  }
}

float patch_distance(const PatchSpace& space, int tx, int ty, int sx, int sy, float limit) {
  return clipped_distance(space, tx, ty, sx, sy, clip(space, tx, ty), limit);
}

NearestNeighborField::NearestNeighborField(const PatchSpace& space)
    : region_(space.canvas->width(), space.canvas->height(), space.known, space.radius), radius_(space.radius) {
  const size_t n = static_cast<size_t>(region_.size());
  source_x_.assign(n, 0);
  source_y_.assign(n, 0);
  distance_.assign(n, kInfinity);
}

void NearestNeighborField::randomize(const PatchSpace& space, uint64_t seed, int threads) {
  const Rect src = space.sources();
  const int height = space.canvas->height(), width = space.canvas->width();
  const int stripes = (height + kStripeRows - 1) / kStripeRows;
  parallel_for(stripes, threads, [&](int stripe) {
    Random random{mix(seed ^ mix(0x5eed0000ull + stripe)) | 1};
    for (int y = stripe * kStripeRows; y < std::min(height, (stripe + 1) * kStripeRows); ++y)
      for (int x = 0; x < width; ++x) {
        if (!region_.contains(x, y)) continue;
        const int64_t i = region_.index(x, y);
        source_x_[i] = static_cast<uint16_t>(src.x + random.below(src.width));
        source_y_[i] = static_cast<uint16_t>(src.y + random.below(src.height));
        distance_[i] = patch_distance(space, x, y, source_x_[i], source_y_[i], kInfinity);
      }
  });
}

void NearestNeighborField::upsample(const NearestNeighborField& coarse, const PatchSpace& space) {
  const Rect src = space.sources();
  const int height = space.canvas->height(), width = space.canvas->width();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      if (!region_.contains(x, y)) continue;
      const int64_t i = region_.index(x, y);
      int cx = x / 2, cy = y / 2;
      int sx = 2 * cx + (x & 1), sy = 2 * cy + (y & 1);  // identity where the coarse level has no target
      float d = kInfinity;
      if (coarse.region_.contains(cx, cy)) {
        const int64_t j = coarse.region_.index(cx, cy);
        sx = 2 * coarse.source_x_[j] + (x & 1);
        sy = 2 * coarse.source_y_[j] + (y & 1);
        d = coarse.distance_[j];
      }
      source_x_[i] = static_cast<uint16_t>(std::clamp(sx, src.x, src.right() - 1));
      source_y_[i] = static_cast<uint16_t>(std::clamp(sy, src.y, src.bottom() - 1));
      distance_[i] = d;
    }
}

void NearestNeighborField::search(const PatchSpace& space, int pass, bool recompute, uint64_t seed, int threads) {
  const Rect src = space.sources();
  const int height = space.canvas->height(), width = space.canvas->width();
  const int step = pass % 2 == 0 ? 1 : -1;
  const int stripes = (height + kStripeRows - 1) / kStripeRows;
  const int max_radius = std::max(src.width, src.height);

  auto try_source = [&](int x, int y, const Clip& k, int sx, int sy, int& best_x, int& best_y, float& best) {
    if (sx < src.x || sy < src.y || sx >= src.right() || sy >= src.bottom()) return;
    if (sx == best_x && sy == best_y) return;
    const float d = clipped_distance(space, x, y, sx, sy, k, best);
    if (d < best) {
      best = d;
      best_x = sx;
      best_y = sy;
    }
  };
  auto visit = [&](int x, int y, Random& random) {
    const int64_t i = region_.index(x, y);
    const Clip k = clip(space, x, y);
    int bx = source_x_[i], by = source_y_[i];
    float best = recompute ? clipped_distance(space, x, y, bx, by, k, kInfinity) : distance_[i];
    if (region_.contains(x - step, y)) {  // propagation: the neighbour's match, shifted
      const int64_t j = region_.index(x - step, y);
      try_source(x, y, k, source_x_[j] + step, source_y_[j], bx, by, best);
    }
    if (region_.contains(x, y - step)) {
      const int64_t j = region_.index(x, y - step);
      try_source(x, y, k, source_x_[j], source_y_[j] + step, bx, by, best);
    }
    for (int r = max_radius; r >= 1; r /= 2) {  // random search around the best so far
      const int sx = std::clamp(bx + random.below(2 * r + 1) - r, src.x, src.right() - 1);
      const int sy = std::clamp(by + random.below(2 * r + 1) - r, src.y, src.bottom() - 1);
      try_source(x, y, k, sx, sy, bx, by, best);
    }
    source_x_[i] = static_cast<uint16_t>(bx);
    source_y_[i] = static_cast<uint16_t>(by);
    distance_[i] = best;
  };
  auto run_stripe = [&](int stripe) {
    Random random{mix(seed ^ mix(0xa11ce000ull + static_cast<uint64_t>(pass) * 1000003ull + stripe)) | 1};
    const int y_begin = stripe * kStripeRows, y_end = std::min(height, y_begin + kStripeRows);
    for (int n = 0; n < y_end - y_begin; ++n) {
      const int y = step > 0 ? y_begin + n : y_end - 1 - n;
      int gap_begin, gap_end;
      region_.row_gap(y, gap_begin, gap_end);
      if (step > 0) {
        for (int x = 0; x < gap_begin; ++x) visit(x, y, random);
        for (int x = gap_end; x < width; ++x) visit(x, y, random);
      } else {
        for (int x = width - 1; x >= gap_end; --x) visit(x, y, random);
        for (int x = gap_begin - 1; x >= 0; --x) visit(x, y, random);
      }
    }
  };
  // Even stripes, then odd ones: stripes running together never touch, so results do not depend
  // on the thread count or timing.
  for (int parity = 0; parity < 2; ++parity)
    parallel_for((stripes + 1 - parity) / 2, threads, [&](int n) { run_stripe(2 * n + parity); });
}

}  // namespace upres::outpaint
