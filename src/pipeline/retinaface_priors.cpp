// RetinaFacePriors: anchor generation and offset decoding, as facexlib's PriorBox / decode.
#include "pipeline/retinaface_priors.h"

#include <cmath>

namespace upres::pipeline {
namespace {

constexpr int kSteps[3] = {8, 16, 32};
constexpr int kMinSizes[3][2] = {{16, 32}, {64, 128}, {256, 512}};
constexpr float kCenterVariance = 0.1f;
constexpr float kSizeVariance = 0.2f;

}  // namespace

std::vector<PriorBox> retinaface_priors(int height, int width) {
  std::vector<PriorBox> priors;
  for (int k = 0; k < 3; ++k) {
    const int step = kSteps[k];
    const int rows = (height + step - 1) / step;
    const int cols = (width + step - 1) / step;
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) {
        for (int min_size : kMinSizes[k]) {
          // facexlib computes these in Python doubles and stores them as float32.
          priors.push_back({static_cast<float>((j + 0.5) * step / width),
                            static_cast<float>((i + 0.5) * step / height),
                            static_cast<float>(static_cast<double>(min_size) / width),
                            static_cast<float>(static_cast<double>(min_size) / height)});
        }
      }
    }
  }
  return priors;
}

std::array<float, 4> decode_box(const float* offsets, const PriorBox& p) {
  const float cx = p.cx + offsets[0] * kCenterVariance * p.w;
  const float cy = p.cy + offsets[1] * kCenterVariance * p.h;
  const float w = p.w * std::exp(offsets[2] * kSizeVariance);
  const float h = p.h * std::exp(offsets[3] * kSizeVariance);
  const float x0 = cx - w / 2;
  const float y0 = cy - h / 2;
  return {x0, y0, x0 + w, y0 + h};
}

std::array<float, 10> decode_landmarks(const float* offsets, const PriorBox& p) {
  std::array<float, 10> points;
  for (int k = 0; k < 5; ++k) {
    points[2 * k] = p.cx + offsets[2 * k] * kCenterVariance * p.w;
    points[2 * k + 1] = p.cy + offsets[2 * k + 1] * kCenterVariance * p.h;
  }
  return points;
}

}  // namespace upres::pipeline
