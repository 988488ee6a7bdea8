#include "outpaint/patch_vote.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/parallel_for.h"

namespace upres::outpaint {
namespace {

constexpr int kRowsPerTask = 16;

// Per-sample mean distance of target (x, y): its distance over the samples its clipped patch holds.
float mean_distance(const PatchSpace& s, const NearestNeighborField& nnf, int64_t i, int x, int y) {
  const int r = s.radius;
  const int w = std::min(r, s.canvas->width() - 1 - x) + std::min(r, x) + 1;
  const int h = std::min(r, s.canvas->height() - 1 - y) + std::min(r, y) + 1;
  return nnf.distance(i) / static_cast<float>(w * h * s.canvas->channels());
}

}  // namespace

void vote(const PatchSpace& space, image::Image& canvas, const NearestNeighborField& nnf, int threads) {
  const TargetRegion& region = nnf.region();
  const int width = canvas.width(), height = canvas.height(), channels = canvas.channels();
  const int tasks = (height + kRowsPerTask - 1) / kRowsPerTask;
  // Weights per target, from the mean distance (a fixed-order sum: deterministic).
  std::vector<float> weight(static_cast<size_t>(region.size()));
  std::vector<double> task_sum(tasks, 0.0);
  parallel_for(tasks, threads, [&](int t) {
    for (int y = t * kRowsPerTask; y < std::min(height, (t + 1) * kRowsPerTask); ++y)
      for (int x = 0; x < width; ++x) {
        if (!region.contains(x, y)) continue;
        const int64_t i = region.index(x, y);
        const float m = mean_distance(space, nnf, i, x, y);
        weight[i] = std::isfinite(m) ? m : 1.0f;
        task_sum[t] += weight[i];
      }
  });
  double total = 0;
  for (double s : task_sum) total += s;
  const float sigma2 = std::max(1e-6f, static_cast<float>(total / std::max<int64_t>(1, region.size())));
  const float scale = -1.0f / (2 * 0.25f * sigma2);  // sharper than the mean: less averaging, more detail
  for (float& w : weight) w = std::exp(std::max(-30.0f, w * scale));

  const int r = nnf.radius();
  const Rect& known = space.known;
  const float* pixels = canvas.pixels();
  parallel_for(tasks, threads, [&](int t) {
    std::vector<float> sum(channels);
    for (int y = t * kRowsPerTask; y < std::min(height, (t + 1) * kRowsPerTask); ++y)
      for (int x = 0; x < width; ++x) {
        if (known.contains(x, y)) continue;
        std::fill(sum.begin(), sum.end(), 0.0f);
        float weights = 0;
        for (int qy = std::max(0, y - r); qy <= std::min(height - 1, y + r); ++qy)
          for (int qx = std::max(0, x - r); qx <= std::min(width - 1, x + r); ++qx) {
            const int64_t i = region.index(qx, qy);  // (x, y) is unknown, so every patch over it is a target
            const float w = weight[i];
            const float* src = pixels + (static_cast<size_t>(nnf.source_y(i) + y - qy) * width +
                                         nnf.source_x(i) + x - qx) * channels;
            for (int c = 0; c < channels; ++c) sum[c] += w * src[c];
            weights += w;
          }
        for (int c = 0; c < channels; ++c) canvas.at(x, y, c) = sum[c] / weights;
      }
  });
}

}  // namespace upres::outpaint
