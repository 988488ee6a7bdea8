// Non-maximum suppression as facexlib's py_cpu_nms: boxes in pixel corners with the +1 of
// inclusive pixel extents in widths, heights and areas. Pure function; thread-safe.
// Original: facexlib/detection/retinaface_utils.py (py_cpu_nms)
#pragma once

#include <vector>

namespace upres::pipeline {

struct ScoredBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float score = 0;
};

// Indices of the boxes kept, highest score first: each box in score order is kept unless its
// overlap (intersection over union, with the +1) with a box already kept exceeds
// `iou_threshold`. Ties in score keep the earlier index first.
std::vector<int> non_max_suppression(const std::vector<ScoredBox>& boxes, float iou_threshold);

}  // namespace upres::pipeline
