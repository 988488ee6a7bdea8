// FaceDetector: facexlib's FaceRestoreHelper.get_face_landmarks_5(resize=640) and
// RetinaFace.detect_faces around the RetinaFace graph, with one compiled graph per input size.
// Originals: facexlib/utils/face_restoration_helper.py, facexlib/detection/retinaface.py
#include "pipeline/face_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "engine/backend_registry.h"
#include "models/retinaface.h"
#include "pipeline/non_max_suppression.h"
#include "pipeline/retinaface_priors.h"

namespace upres::pipeline {
namespace {

constexpr float kMeanBgr[3] = {104.0f, 117.0f, 123.0f};
constexpr int64_t kMaxDetectPixels = int64_t{1} << 26;  // 64 Mpx after the upscale to 640
constexpr size_t kMaxCachedSizes = 4;

// Interleaved BGR samples in 0..255, as cv2 holds a uint8 picture.
struct BgrPicture {
  int width = 0, height = 0;
  std::vector<uint8_t> samples;  // (y * width + x) * 3 + c
};

BgrPicture to_bgr_u8(const image::Image& picture) {
  BgrPicture out{picture.width(), picture.height(), {}};
  out.samples.resize(static_cast<size_t>(out.width) * out.height * 3);
  const int colors = picture.color_channels();
  auto to_u8 = [](float v) {
    return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
  };
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      uint8_t* bgr = &out.samples[(static_cast<size_t>(y) * out.width + x) * 3];
      for (int c = 0; c < 3; ++c) {
        bgr[2 - c] = to_u8(picture.at(x, y, colors == 1 ? 0 : c));  // grey: replicated
      }
    }
  }
  return out;
}

// cv2.resize INTER_LINEAR taps along one axis: source index, next index, fixed-point weights
// (sum 2048), with cv2's half-pixel centres and border clamping.
struct LinearTaps {
  std::vector<int> i0, i1;
  std::vector<int32_t> w0, w1;
};

LinearTaps linear_taps(int out_size, int in_size) {
  LinearTaps t;
  const double scale = static_cast<double>(in_size) / out_size;
  for (int d = 0; d < out_size; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) f = 0, s = 0;
    if (s >= in_size - 1) f = 0, s = in_size - 1;
    t.i0.push_back(s);
    t.i1.push_back(std::min(s + 1, in_size - 1));
    t.w0.push_back(static_cast<int32_t>(std::lrint((1.0f - f) * 2048.0f)));
    t.w1.push_back(static_cast<int32_t>(std::lrint(f * 2048.0f)));
  }
  return t;
}

// cv2.resize(img, (width, height), interpolation=INTER_LINEAR) on uint8: 11-bit fixed-point
// weights, and the rounding of its SIMD vertical pass (equal to cv2 but for a few tail pixels).
BgrPicture resize_bilinear(const BgrPicture& in, int width, int height) {
  const LinearTaps tx = linear_taps(width, in.width);
  const LinearTaps ty = linear_taps(height, in.height);
  std::vector<int32_t> rows[2];
  auto horizontal = [&](int sy, std::vector<int32_t>& row) {
    row.resize(static_cast<size_t>(width) * 3);
    const uint8_t* src = &in.samples[static_cast<size_t>(sy) * in.width * 3];
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        row[x * 3 + c] = src[tx.i0[x] * 3 + c] * tx.w0[x] + src[tx.i1[x] * 3 + c] * tx.w1[x];
      }
    }
  };
  BgrPicture out{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    horizontal(ty.i0[y], rows[0]);
    horizontal(ty.i1[y], rows[1]);
    uint8_t* dst = &out.samples[static_cast<size_t>(y) * width * 3];
    for (int i = 0; i < width * 3; ++i) {
      const int32_t a = ((rows[0][i] >> 4) * ty.w0[y]) >> 16;
      const int32_t b = ((rows[1][i] >> 4) * ty.w1[y]) >> 16;
      dst[i] = static_cast<uint8_t>(std::clamp((a + b + 2) >> 2, 0, 255));
    }
  }
  return out;
}

// [1, 3, H, W] BGR minus facexlib's mean.
Result<engine::Tensor> network_input(const BgrPicture& picture) {
  const int64_t plane = static_cast<int64_t>(picture.width) * picture.height;
  UPRES_ASSIGN_OR_RETURN(engine::Tensor input,
                         engine::Tensor::zeros({1, 3, picture.height, picture.width}));
  float* out = input.f32();
  for (int64_t p = 0; p < plane; ++p) {
    for (int c = 0; c < 3; ++c) out[c * plane + p] = picture.samples[p * 3 + c] - kMeanBgr[c];
  }
  return input;
}

// Every anchor scoring above `threshold`, decoded into the detection picture's pixels
// (detect_faces: boxes * [w, h, w, h], landmarks * [w, h] x 5), in anchor order.
Result<std::vector<DetectedFace>> decode_faces(const std::vector<engine::Tensor>& outputs,
                                               int height, int width, float threshold) {
  const std::vector<PriorBox> priors = retinaface_priors(height, width);
  const int64_t anchors = static_cast<int64_t>(priors.size());
  if (outputs[0].shape() != engine::Shape{1, anchors, 4} ||
      outputs[1].shape() != engine::Shape{1, anchors, 2} ||
      outputs[2].shape() != engine::Shape{1, anchors, 10}) {
    return internal_error("face detection: network outputs " +
                          engine::shape_to_string(outputs[0].shape()) + " for " +
                          std::to_string(anchors) + " priors");
  }
  const float* loc = outputs[0].f32();
  const float* conf = outputs[1].f32();
  const float* marks = outputs[2].f32();
  const float h = static_cast<float>(height);
  const float w = static_cast<float>(width);
  std::vector<DetectedFace> faces;
  for (size_t a = 0; a < priors.size(); ++a) {
    const float score = conf[a * 2 + 1];
    if (!(score > threshold)) continue;
    const std::array<float, 4> box = decode_box(loc + a * 4, priors[a]);
    const std::array<float, 10> points = decode_landmarks(marks + a * 10, priors[a]);
    DetectedFace face{box[0] * w, box[1] * h, box[2] * w, box[3] * h, score, {}};
    for (int k = 0; k < 5; ++k) face.landmarks[k] = {points[2 * k] * w, points[2 * k + 1] * h};
    faces.push_back(face);
  }
  return faces;
}

Status check_options(const image::Image& picture, const FaceDetectOptions& options) {
  if (picture.empty()) return invalid_argument("face detection: empty picture");
  if (!(options.confidence_threshold >= 0.0f && options.confidence_threshold <= 1.0f)) {
    return invalid_argument("face detection: confidence_threshold " +
                            std::to_string(options.confidence_threshold) + " is not in [0, 1]");
  }
  if (!(options.nms_threshold >= 0.0f && options.nms_threshold <= 1.0f)) {
    return invalid_argument("face detection: nms_threshold " +
                            std::to_string(options.nms_threshold) + " is not in [0, 1]");
  }
  if (options.min_short_side < 0) {
    return invalid_argument("face detection: min_short_side " +
                            std::to_string(options.min_short_side) + " is negative");
  }
  return Status::ok();
}

}  // namespace

struct FaceDetector::CompiledCache {
  std::string backend_name;
  std::unique_ptr<engine::Backend> backend;
  std::map<std::pair<int, int>, std::unique_ptr<engine::Executable>> executables;

  Result<engine::Executable*> get(const models::RetinaFace& network, const std::string& name,
                                  int height, int width) {
    if (backend == nullptr || backend_name != name) {
      executables.clear();
      backend.reset();
      UPRES_ASSIGN_OR_RETURN(backend, engine::create_backend(name));
      backend_name = name;
    }
    auto it = executables.find({height, width});
    if (it != executables.end()) return it->second.get();
    if (executables.size() >= kMaxCachedSizes) executables.clear();
    UPRES_ASSIGN_OR_RETURN(engine::Graph graph, network.build_graph(height, width));
    UPRES_ASSIGN_OR_RETURN(auto executable, backend->prepare(graph, engine::PrepareOptions{}));
    engine::Executable* raw = executable.get();
    executables[{height, width}] = std::move(executable);
    return raw;
  }
};

FaceDetector::FaceDetector(std::shared_ptr<const models::RetinaFace> network)
    : network_(std::move(network)), cache_(std::make_unique<CompiledCache>()) {}

FaceDetector::~FaceDetector() = default;

Result<std::unique_ptr<FaceDetector>> FaceDetector::load(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<const models::RetinaFace> network,
                         models::RetinaFace::load(path));
  return std::unique_ptr<FaceDetector>(new FaceDetector(std::move(network)));
}

std::string FaceDetector::name() const { return network_->name(); }

Result<std::vector<DetectedFace>> FaceDetector::detect(const image::Image& picture,
                                                       const FaceDetectOptions& options) {
  UPRES_RETURN_IF_ERROR(check_options(picture, options));
  BgrPicture bgr = to_bgr_u8(picture);
  const int short_side = std::min(bgr.width, bgr.height);
  // get_face_landmarks_5: scale = max(1, resize / min(h, w)); size int(h * scale), int(w * scale).
  const double scale = options.min_short_side > 0
                           ? std::max(1.0, static_cast<double>(options.min_short_side) / short_side)
                           : 1.0;
  if (scale > 1.0) {
    const double height = bgr.height * scale;
    const double width = bgr.width * scale;
    if (height * width > static_cast<double>(kMaxDetectPixels)) {
      return resource_exhausted("face detection: " + std::to_string(bgr.width) + "x" +
                                std::to_string(bgr.height) + " upscaled for detection exceeds " +
                                std::to_string(kMaxDetectPixels) + " pixels");
    }
    bgr = resize_bilinear(bgr, static_cast<int>(width), static_cast<int>(height));
  }
  UPRES_ASSIGN_OR_RETURN(engine::Tensor input, network_input(bgr));
  UPRES_ASSIGN_OR_RETURN(engine::Executable * executable,
                         cache_->get(*network_, options.backend, bgr.height, bgr.width));
  std::vector<engine::Tensor> outputs(3);
  UPRES_RETURN_IF_ERROR(executable->run(std::span<const engine::Tensor>(&input, 1), outputs));
  UPRES_ASSIGN_OR_RETURN(
      std::vector<DetectedFace> candidates,
      decode_faces(outputs, bgr.height, bgr.width, options.confidence_threshold));
  // NMS runs in the detection picture's pixels (its +1 convention depends on it); the kept faces
  // go back to the caller's coordinates.
  std::vector<ScoredBox> boxes;
  for (const DetectedFace& f : candidates) boxes.push_back({f.x0, f.y0, f.x1, f.y1, f.score});
  std::vector<DetectedFace> faces;
  const float s = static_cast<float>(scale);
  for (int index : non_max_suppression(boxes, options.nms_threshold)) {
    DetectedFace face = candidates[static_cast<size_t>(index)];
    face.x0 /= s, face.y0 /= s, face.x1 /= s, face.y1 /= s;
    for (FacePoint& p : face.landmarks) p.x /= s, p.y /= s;
    faces.push_back(face);
  }
  return faces;
}

}  // namespace upres::pipeline
