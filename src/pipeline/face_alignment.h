// Face alignment: the similarity transform that maps a face's five landmarks onto the FFHQ
// template (facexlib's FaceRestoreHelper, face_size 512), and its inverse for pasting back.
// Plain values and pure functions; thread-safe.
#pragma once

#include <array>

#include "base/result.h"
#include "image/warp_affine.h"
#include "pipeline/face_detector.h"

namespace upres::pipeline {

using FiveLandmarks = std::array<FacePoint, 5>;

// facexlib's five-point template for a face_size x face_size crop (the 512 template scaled by
// face_size / 512): eyes, nose, mouth corners.
FiveLandmarks ffhq_template(int face_size);

// The rotation + uniform scale + translation that maps `from` onto `to`, estimated as facexlib's
// cv2.estimateAffinePartial2D(method=LMEDS) does: the two-point model with the least median
// squared error picks the inliers, which are then fitted by least squares.
// InvalidArgument when the `from` points all coincide.
Result<image::AffineTransform> estimate_similarity(const FiveLandmarks& from, const FiveLandmarks& to);

}  // namespace upres::pipeline
