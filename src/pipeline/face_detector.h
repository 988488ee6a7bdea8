// FaceDetector: RetinaFace (ResNet-50 or MobileNet-0.25, facexlib's weight files) run on a whole
// picture, with facexlib's pre- and post-processing: upscaled so the short side is at least
// 640 px, BGR minus the mean, prior boxes, box and landmark decoding, confidence threshold, NMS.
// Not thread-safe (caches compiled graphs per input size); one instance per thread.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/image.h"

namespace upres::models {
class RetinaFace;
}

namespace upres::pipeline {

struct FacePoint {
  float x = 0;
  float y = 0;
};

// One face in the coordinates of the picture passed to detect() (pixels, x right, y down).
struct DetectedFace {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // box corners
  float score = 0;                       // face confidence in [0, 1]
  // facexlib's order: left eye, right eye (as seen in the picture), nose, left and right mouth corner.
  std::array<FacePoint, 5> landmarks;
};

struct FaceDetectOptions {
  float confidence_threshold = 0.8f;  // facexlib detect_faces default
  float nms_threshold = 0.4f;
  // facexlib get_face_landmarks_5(resize=640) as the reference UI calls it: pictures whose short
  // side is below this are upscaled (bilinear) for detection; larger ones run at their size.
  // 0 = always at the original size.
  int min_short_side = 640;
  std::string backend = "cpu";
};

class FaceDetector {
 public:
  // Loads detection_Resnet50_Final.pth or detection_mobilenet0.25_Final.pth (backbone detected
  // from the keys).
  static Result<std::unique_ptr<FaceDetector>> load(const std::filesystem::path& path);
  ~FaceDetector();

  // "RetinaFace ResNet50" or "RetinaFace MobileNet0.25".
  std::string name() const;

  // Faces in `picture` (grey, RGB, with or without alpha; alpha ignored), highest score first.
  Result<std::vector<DetectedFace>> detect(const image::Image& picture,
                                           const FaceDetectOptions& options = {});

 private:
  explicit FaceDetector(std::shared_ptr<const models::RetinaFace> network);
  struct CompiledCache;
  std::shared_ptr<const models::RetinaFace> network_;
  std::unique_ptr<CompiledCache> cache_;
};

}  // namespace upres::pipeline
