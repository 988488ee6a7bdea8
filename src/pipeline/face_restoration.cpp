#include "pipeline/face_restoration.h"

#include <cmath>
#include <limits>
#include <optional>

#include "pipeline/face_alignment.h"
#include "pipeline/face_parse_mask.h"
#include "pipeline/face_paste.h"

namespace upres::pipeline {
namespace {

// facexlib's border colour for aligned crops: BGR (135, 133, 132), a neutral grey.
const std::vector<float> kCropBorder = {132 / 255.0f, 133 / 255.0f, 135 / 255.0f};

// The picture's colours as RGB (grey replicated, alpha dropped): what detectors and restorers see.
image::Image rgb_of(const image::Image& picture) {
  image::Image rgb(picture.width(), picture.height(), 3);
  const int colors = picture.color_channels();
  for (int y = 0; y < picture.height(); ++y)
    for (int x = 0; x < picture.width(); ++x)
      for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = picture.at(x, y, colors == 1 ? 0 : c);
  return rgb;
}

std::vector<DetectedFace> faces_to_restore(std::vector<DetectedFace> faces, const image::Image& picture,
                                           const FaceRestorationOptions& options) {
  std::vector<DetectedFace> kept;
  for (const DetectedFace& face : faces) {
    const float dx = face.landmarks[0].x - face.landmarks[1].x, dy = face.landmarks[0].y - face.landmarks[1].y;
    if (std::sqrt(dx * dx + dy * dy) >= options.min_eye_distance) kept.push_back(face);
  }
  if (!options.only_center_face || kept.size() <= 1) return kept;
  // facexlib get_center_face: the box centre nearest the picture centre.
  size_t best = 0;
  double best_distance = std::numeric_limits<double>::max();
  for (size_t i = 0; i < kept.size(); ++i) {
    const double cx = (kept[i].x0 + kept[i].x1) / 2 - picture.width() / 2.0;
    const double cy = (kept[i].y0 + kept[i].y1) / 2 - picture.height() / 2.0;
    if (std::hypot(cx, cy) < best_distance) best_distance = std::hypot(cx, cy), best = i;
  }
  return {kept[best]};
}

Result<engine::Tensor> to_tensor(const image::Image& crop) {
  const int size = crop.width();
  std::vector<float> planar(static_cast<size_t>(3) * size * size);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) planar[(static_cast<size_t>(c) * size + y) * size + x] = crop.at(x, y, c);
  return engine::Tensor::from_f32(planar, {1, 3, size, size});
}

// facexlib parses the restored face at 512x512 and turns the labels into the paste mask.
Result<image::Image> parse_mask_of(const image::Image& face, models::ParseNet& parser, const std::string& backend) {
  UPRES_ASSIGN_OR_RETURN(engine::Tensor input, to_tensor(face));
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> labels, parser.parse(input, backend));
  return face_parse_mask(labels, face.width());
}

Result<image::Image> restore_one(const image::Image& crop, models::FaceRestorer& restorer,
                                 const models::FaceRestoreOptions& options) {
  const int size = crop.width();
  UPRES_ASSIGN_OR_RETURN(engine::Tensor input, to_tensor(crop));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor output, restorer.restore(input, options));
  if (output.shape() != engine::Shape{1, 3, size, size})
    return internal_error(restorer.architecture() + ": restored face has the wrong shape");
  const std::vector<float> values = output.to_f32();
  image::Image face(size, size, 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        face.at(x, y, c) = std::clamp(values[(static_cast<size_t>(c) * size + y) * size + x], 0.0f, 1.0f);
  return face;
}

}  // namespace

Result<RestoredFaces> restore_faces(const image::Image& picture, FaceDetector& detector,
                                    models::FaceRestorer& restorer,
                                    const FaceRestorationOptions& options, Progress& progress,
                                    models::ParseNet* parser) {
  UPRES_ASSIGN_OR_RETURN(std::vector<DetectedFace> detected, detector.detect(picture, options.detect));
  const std::vector<DetectedFace> faces = faces_to_restore(std::move(detected), picture, options);
  RestoredFaces result{picture, 0};
  if (faces.empty()) return result;
  const image::Image rgb = rgb_of(picture);
  const int size = restorer.face_size();
  const FiveLandmarks target = ffhq_template(size);
  // Every crop comes from the input, as facexlib cuts them all before pasting any.
  for (size_t i = 0; i < faces.size(); ++i) {
    if (progress.is_cancelled()) return cancelled("face restoration cancelled");
    progress.report({options.stage, static_cast<long>(i), static_cast<long>(faces.size())});
    UPRES_ASSIGN_OR_RETURN(image::AffineTransform align, estimate_similarity(faces[i].landmarks, target));
    UPRES_ASSIGN_OR_RETURN(image::Image crop, image::warp_affine(rgb, align, size, size, kCropBorder));
    UPRES_ASSIGN_OR_RETURN(image::Image restored, restore_one(crop, restorer, options.restore));
    UPRES_ASSIGN_OR_RETURN(image::AffineTransform back, align.inverse());
    std::optional<image::Image> mask;
    if (parser != nullptr && size == 512) {
      UPRES_ASSIGN_OR_RETURN(mask, parse_mask_of(restored, *parser, options.restore.backend));
    }
    UPRES_RETURN_IF_ERROR(paste_face(result.picture, restored, back, mask ? &*mask : nullptr).status());
    ++result.face_count;
  }
  progress.report({options.stage, static_cast<long>(faces.size()), static_cast<long>(faces.size())});
  return result;
}

}  // namespace upres::pipeline
