// restore_faces end to end on a real photo with the real RetinaFace MobileNet-0.25 weights from
// ../shared: every detected face goes through the restorer, and only pixels under the paste
// masks change. The restorer here is a stand-in that paints the crop, so the test sees exactly
// where crops land; the random-weight GFPGAN/CodeFormer networks have their own tests.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "image/image_codec.h"
#include "pipeline/face_alignment.h"
#include "pipeline/face_restoration.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = UPRES_SHARED_DIR;
const fs::path kDetector = kShared / "models/retinaface/detection_mobilenet0.25_Final.pth";

// Paints every crop a flat colour and counts calls; checks it is handed 512x512 RGB in [0, 1].
class PaintingRestorer : public models::FaceRestorer {
 public:
  std::string architecture() const override { return "GFPGAN"; }
  Result<engine::Tensor> restore(const engine::Tensor& face, const models::FaceRestoreOptions&) override {
    ++calls;
    if (face.shape() != engine::Shape{1, 3, 512, 512}) return invalid_argument("wrong face shape");
    for (float v : face.to_f32())
      if (v < 0 || v > 1) return invalid_argument("face value out of [0, 1]");
    std::vector<float> painted(3 * 512 * 512);
    for (int c = 0; c < 3; ++c) std::fill_n(painted.begin() + c * 512 * 512, 512 * 512, c == 1 ? 1.0f : 0.0f);
    return engine::Tensor::from_f32(painted, {1, 3, 512, 512});
  }
  int calls = 0;
};

class FaceRestorationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDetector)) GTEST_SKIP() << "../shared is absent: no " << kDetector;
    auto detector = FaceDetector::load(kDetector);
    ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
    detector_ = std::move(detector).value();
  }
  std::unique_ptr<FaceDetector> detector_;
};

TEST_F(FaceRestorationTest, OnlyPixelsUnderTheFaceMasksChange) {
  auto picture = image::read_image(kShared / "images/faces/group_small.jpg");
  ASSERT_TRUE(picture.is_ok()) << picture.status().to_string();
  auto faces = detector_->detect(*picture);
  ASSERT_TRUE(faces.is_ok()) << faces.status().to_string();
  ASSERT_GE(faces->size(), 2u) << "group_small.jpg should show several faces";

  PaintingRestorer restorer;
  Progress progress;
  auto restored = restore_faces(*picture, *detector_, restorer, {}, progress);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restorer.calls, restored->face_count);
  EXPECT_GE(restored->face_count, 1);

  // Where each crop lands: picture pixels whose position maps inside a 512x512 crop, or within
  // 2 picture pixels of it (facexlib's blur reaches a pixel past the square's bilinear fringe on
  // the right and bottom, where its 2x2 erosion does not bite, darkening it slightly).
  std::vector<image::AffineTransform> aligns;
  for (const DetectedFace& face : *faces) {
    auto align = estimate_similarity(face.landmarks, ffhq_template(512));
    ASSERT_TRUE(align.is_ok());
    aligns.push_back(*align);
  }
  long changed = 0, changed_outside = 0;
  for (int y = 0; y < picture->height(); ++y) {
    for (int x = 0; x < picture->width(); ++x) {
      bool moved = false;
      for (int c = 0; c < picture->channels(); ++c) moved |= picture->at(x, y, c) != restored->picture.at(x, y, c);
      if (!moved) continue;
      ++changed;
      bool inside = false;
      for (const image::AffineTransform& align : aligns) {
        double cx, cy;
        align.apply(x, y, cx, cy);
        const double margin = 2 * std::hypot(align.a, align.d);  // 2 picture pixels in crop units
        inside |= cx > -margin && cy > -margin && cx < 511 + margin && cy < 511 + margin;
      }
      if (!inside) ++changed_outside;
    }
  }
  EXPECT_GT(changed, 100);  // the faces were really painted
  EXPECT_EQ(changed_outside, 0);
  // The centre of a restored face is the painted green.
  const DetectedFace& first = faces->front();
  const int cx = static_cast<int>(first.landmarks[2].x), cy = static_cast<int>(first.landmarks[2].y);
  EXPECT_GT(restored->picture.at(cx, cy, 1), 0.9f);
  EXPECT_LT(restored->picture.at(cx, cy, 0), 0.1f);
}

TEST_F(FaceRestorationTest, OnlyCenterFaceRestoresOneAndNoFaceRestoresNone) {
  auto picture = image::read_image(kShared / "images/faces/group_small.jpg");
  ASSERT_TRUE(picture.is_ok());
  PaintingRestorer restorer;
  Progress progress;
  FaceRestorationOptions options;
  options.only_center_face = true;
  auto restored = restore_faces(*picture, *detector_, restorer, options, progress);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restored->face_count, 1);
  EXPECT_EQ(restorer.calls, 1);

  image::Image flat(300, 200, 3);  // nothing to find: the picture comes back unchanged
  restorer.calls = 0;
  auto none = restore_faces(flat, *detector_, restorer, {}, progress);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(none->face_count, 0);
  EXPECT_EQ(restorer.calls, 0);
}

TEST_F(FaceRestorationTest, CancelledProgressStopsBeforeTheFirstFace) {
  auto picture = image::read_image(kShared / "images/faces/portrait.jpg");
  ASSERT_TRUE(picture.is_ok());
  PaintingRestorer restorer;
  Progress progress;
  progress.cancel();
  auto restored = restore_faces(*picture, *detector_, restorer, {}, progress);
  EXPECT_EQ(restored.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(restorer.calls, 0);
}

}  // namespace
}  // namespace upres::pipeline
