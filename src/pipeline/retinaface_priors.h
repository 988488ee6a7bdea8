// RetinaFacePriors: facexlib's PriorBox for RetinaFace (min sizes [[16, 32], [64, 128], [256, 512]]
// at strides 8, 16, 32, two anchors per cell, no clipping) and the decoding of the network's box
// and landmark offsets against them (variances 0.1, 0.2). Pure functions; thread-safe.
// Original: facexlib/detection/retinaface_utils.py (PriorBox, decode, decode_landm)
#pragma once

#include <array>
#include <vector>

namespace upres::pipeline {

// One anchor, in units of the input's width (cx, w) and height (cy, h).
struct PriorBox {
  float cx = 0, cy = 0, w = 0, h = 0;
};

// Anchors for a height x width input in the order of the network's output rows: per stride,
// per cell row i, per cell column j (ceil(height / stride) x ceil(width / stride) cells), per min
// size. Requires: height, width >= 1.
std::vector<PriorBox> retinaface_priors(int height, int width);

// decode(): box offsets [dx, dy, dw, dh] -> corners {x0, y0, x1, y1}, in the prior's units.
std::array<float, 4> decode_box(const float* offsets, const PriorBox& prior);

// decode_landm(): ten offsets -> five (x, y) points {x0, y0, ..., x4, y4}, in the prior's units.
std::array<float, 10> decode_landmarks(const float* offsets, const PriorBox& prior);

}  // namespace upres::pipeline
