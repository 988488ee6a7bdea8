// restore_faces end to end on a real photo with the real RetinaFace MobileNet-0.25 weights from
// tests/data: every detected face goes through the restorer, and only pixels under the paste
// masks change. The restorer here is a stand-in that paints the crop, so the test sees exactly
// where crops land; the random-weight GFPGAN/CodeFormer networks have their own tests.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "model_test_support.h"
#include "image/image_codec.h"
#include "pipeline/face_alignment.h"
#include "pipeline/face_restoration.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

const fs::path kTestData = UPRES_TEST_DATA_DIR;
const fs::path kDetector = kTestData / "models/retinaface/detection_mobilenet0.25_Final.pth";

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

// Counts pixels that differ between `before` and `after`, and those of them that lie more than 2
// picture pixels outside every face's 512x512 crop (facexlib's blur reaches a pixel past the
// square's bilinear fringe on the right and bottom, where its 2x2 erosion does not bite).
void count_changes(const image::Image& before, const image::Image& after, const std::vector<DetectedFace>& faces,
                   long& changed, long& changed_outside) {
  std::vector<image::AffineTransform> aligns;
  for (const DetectedFace& face : faces) aligns.push_back(estimate_similarity(face.landmarks, ffhq_template(512)).value());
  changed = changed_outside = 0;
  for (int y = 0; y < before.height(); ++y) {
    for (int x = 0; x < before.width(); ++x) {
      bool moved = false;
      for (int c = 0; c < before.channels(); ++c) moved |= before.at(x, y, c) != after.at(x, y, c);
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
}

class FaceRestorationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kDetector)) GTEST_SKIP() << "no " << kDetector << " (tests/data)";
    auto detector = FaceDetector::load(kDetector);
    ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
    detector_ = std::move(detector).value();
  }
  std::unique_ptr<FaceDetector> detector_;
};

TEST_F(FaceRestorationTest, OnlyPixelsUnderTheFaceMasksChange) {
  auto picture = image::read_image(kTestData / "images/faces/group_small.jpg");
  ASSERT_TRUE(picture.is_ok()) << picture.status().to_string();
  auto faces = detector_->detect(*picture);
  ASSERT_TRUE(faces.is_ok()) << faces.status().to_string();
  ASSERT_EQ(faces->size(), 3u) << "group_small.jpg shows three faces";

  PaintingRestorer restorer;
  Progress progress;
  auto restored = restore_faces(*picture, *detector_, restorer, {}, progress);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restorer.calls, restored->face_count);
  EXPECT_EQ(restored->face_count, 3);  // every face's eyes are over 5 px apart

  long changed = 0, changed_outside = 0;
  count_changes(*picture, restored->picture, *faces, changed, changed_outside);
  EXPECT_GT(changed, 100);  // the faces were really painted
  EXPECT_EQ(changed_outside, 0);
  // The centre of a restored face is the painted green.
  const DetectedFace& first = faces->front();
  const int cx = static_cast<int>(first.landmarks[2].x), cy = static_cast<int>(first.landmarks[2].y);
  EXPECT_GT(restored->picture.at(cx, cy, 1), 0.9f);
  EXPECT_LT(restored->picture.at(cx, cy, 0), 0.1f);
}

TEST_F(FaceRestorationTest, OnlyCenterFaceRestoresOneAndNoFaceRestoresNone) {
  auto picture = image::read_image(kTestData / "images/faces/group_small.jpg");
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

TEST_F(FaceRestorationTest, RandomWeightGfpganOnARealPhotoChangesOnlyTheFaces) {
  auto fixtures = models::testing::ensure_fixtures("gfpgan_torch.py", "gfpgan_fixtures");
  if (!fixtures.is_ok()) GTEST_SKIP() << fixtures.status().message();
  auto restorer = models::load_face_restorer(*fixtures / "gfpgan512_narrow16.pth");
  ASSERT_TRUE(restorer.is_ok()) << restorer.status().to_string();
  auto picture = image::read_image(kTestData / "images/faces/portrait.jpg");
  ASSERT_TRUE(picture.is_ok());
  auto faces = detector_->detect(*picture);
  ASSERT_TRUE(faces.is_ok());
  Progress progress;
  auto restored = restore_faces(*picture, *detector_, **restorer, {}, progress);
  ASSERT_TRUE(restored.is_ok()) << restored.status().to_string();
  EXPECT_EQ(restored->face_count, static_cast<int>(faces->size()));
  long changed = 0, changed_outside = 0;
  count_changes(*picture, restored->picture, *faces, changed, changed_outside);
  EXPECT_GT(changed, 1000);
  EXPECT_EQ(changed_outside, 0);
}

TEST_F(FaceRestorationTest, ParsingNetworkChangesThePasteMaskButNotWhereFacesGo) {
  auto fixtures = models::testing::ensure_fixtures("parsenet_torch.py", "parsenet_fixtures");
  if (!fixtures.is_ok()) GTEST_SKIP() << fixtures.status().message();
  auto parser = models::ParseNet::load(*fixtures / "parsenet512_narrow16.pth");
  ASSERT_TRUE(parser.is_ok()) << parser.status().to_string();
  auto picture = image::read_image(kTestData / "images/faces/portrait.jpg");
  ASSERT_TRUE(picture.is_ok());
  auto faces = detector_->detect(*picture);
  ASSERT_TRUE(faces.is_ok());
  PaintingRestorer restorer;
  Progress progress;
  auto square = restore_faces(*picture, *detector_, restorer, {}, progress);
  auto parsed = restore_faces(*picture, *detector_, restorer, {}, progress, parser->get());
  ASSERT_TRUE(square.is_ok() && parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->face_count, square->face_count);
  long changed = 0, changed_outside = 0;
  count_changes(*picture, parsed->picture, *faces, changed, changed_outside);
  EXPECT_EQ(changed_outside, 0);
  long differs_from_square = 0;
  for (size_t i = 0; i < picture->sample_count(); ++i)
    differs_from_square += parsed->picture.pixels()[i] != square->picture.pixels()[i];
  EXPECT_GT(differs_from_square, 1000);  // the parsing mask, not the square, shaped the paste
}

TEST_F(FaceRestorationTest, CancelledProgressStopsBeforeTheFirstFace) {
  auto picture = image::read_image(kTestData / "images/faces/portrait.jpg");
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
