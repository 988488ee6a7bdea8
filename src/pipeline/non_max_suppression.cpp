// Non-maximum suppression (facexlib's py_cpu_nms, with its +1 pixel convention).
#include "pipeline/non_max_suppression.h"

#include <algorithm>
#include <numeric>

namespace upres::pipeline {
namespace {

float area(const ScoredBox& b) { return (b.x1 - b.x0 + 1) * (b.y1 - b.y0 + 1); }

float overlap(const ScoredBox& a, const ScoredBox& b) {
  const float w = std::max(0.0f, std::min(a.x1, b.x1) - std::max(a.x0, b.x0) + 1);
  const float h = std::max(0.0f, std::min(a.y1, b.y1) - std::max(a.y0, b.y0) + 1);
  const float inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

}  // namespace

std::vector<int> non_max_suppression(const std::vector<ScoredBox>& boxes, float iou_threshold) {
  std::vector<int> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return boxes[a].score > boxes[b].score; });
  std::vector<int> kept;
  std::vector<bool> suppressed(boxes.size(), false);
  for (size_t i = 0; i < order.size(); ++i) {
    if (suppressed[i]) continue;
    const ScoredBox& best = boxes[order[i]];
    kept.push_back(order[i]);
    for (size_t j = i + 1; j < order.size(); ++j) {
      // py_cpu_nms keeps a box while ovr <= thresh; NaN overlaps (degenerate boxes) drop it.
      if (!suppressed[j] && !(overlap(best, boxes[order[j]]) <= iou_threshold))
        suppressed[j] = true;
    }
  }
  return kept;
}

}  // namespace upres::pipeline
