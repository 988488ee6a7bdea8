#include "pipeline/face_alignment.h"

#include <algorithm>
#include <cmath>

namespace upres::pipeline {
namespace {

// Least squares for [p -q tx; q p ty] over the points with use[i] set: centre both sets, then
// (p, q) = (sum(u.v), sum(u x v)) / sum(|u|^2). False when those points coincide.
bool fit_similarity(const FiveLandmarks& from, const FiveLandmarks& to, const bool use[5],
                    image::AffineTransform& m) {
  double fx = 0, fy = 0, tx = 0, ty = 0;
  int n = 0;
  for (int i = 0; i < 5; ++i) {
    if (!use[i]) continue;
    fx += from[i].x, fy += from[i].y, tx += to[i].x, ty += to[i].y;
    ++n;
  }
  if (n < 2) return false;
  fx /= n, fy /= n, tx /= n, ty /= n;
  double dot = 0, cross = 0, norm = 0;
  for (int i = 0; i < 5; ++i) {
    if (!use[i]) continue;
    const double ux = from[i].x - fx, uy = from[i].y - fy;
    const double vx = to[i].x - tx, vy = to[i].y - ty;
    dot += ux * vx + uy * vy;
    cross += ux * vy - uy * vx;
    norm += ux * ux + uy * uy;
  }
  if (norm < 1e-12) return false;
  const double p = dot / norm, q = cross / norm;
  m = {p, -q, tx - (p * fx - q * fy), q, p, ty - (q * fx + p * fy)};
  return true;
}

void squared_residuals(const image::AffineTransform& m, const FiveLandmarks& from,
                       const FiveLandmarks& to, double out[5]) {
  for (int i = 0; i < 5; ++i) {
    double x, y;
    m.apply(from[i].x, from[i].y, x, y);
    out[i] = (x - to[i].x) * (x - to[i].x) + (y - to[i].y) * (y - to[i].y);
  }
}

}  // namespace

FiveLandmarks ffhq_template(int face_size) {
  static constexpr float kTemplate512[5][2] = {{192.98138f, 239.94708f}, {318.90277f, 240.1936f},
                                               {256.63416f, 314.01935f}, {201.26117f, 371.41043f},
                                               {313.08905f, 371.15118f}};
  const float ratio = static_cast<float>(face_size) / 512.0f;
  FiveLandmarks points;
  for (int i = 0; i < 5; ++i) points[i] = {kTemplate512[i][0] * ratio, kTemplate512[i][1] * ratio};
  return points;
}

Result<image::AffineTransform> estimate_similarity(const FiveLandmarks& from, const FiveLandmarks& to) {
  // Least median of squares over every two-point model (OpenCV samples them at random; with five
  // points there are only ten), then OpenCV's inlier threshold and a least-squares refit on the
  // inliers, which is what its Levenberg-Marquardt refinement converges to.
  image::AffineTransform best;
  double best_median = -1;
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) {
      bool pair[5] = {};
      pair[i] = pair[j] = true;
      image::AffineTransform model;
      if (!fit_similarity(from, to, pair, model)) continue;
      double residuals[5];
      squared_residuals(model, from, to, residuals);
      std::nth_element(residuals, residuals + 2, residuals + 5);
      if (best_median < 0 || residuals[2] < best_median) best_median = residuals[2], best = model;
    }
  }
  if (best_median < 0) return invalid_argument("face alignment: the five landmarks coincide");
  // OpenCV LMeDS: sigma = 2.5 * 1.4826 * (1 + 5 / (count - model points)) * sqrt(median).
  const double sigma = std::max(2.5 * 1.4826 * (1 + 5.0 / 3.0) * std::sqrt(best_median), 0.001);
  double residuals[5];
  squared_residuals(best, from, to, residuals);
  bool inliers[5];
  for (int i = 0; i < 5; ++i) inliers[i] = residuals[i] <= sigma * sigma;
  image::AffineTransform refined;
  if (fit_similarity(from, to, inliers, refined)) return refined;
  return best;
}

}  // namespace upres::pipeline
