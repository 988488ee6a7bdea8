// The face pipeline's geometry against OpenCV run as facexlib runs it (tests/reference/
// face_paste_cv2.py): similarity estimation, the aligned crop, the erode/blur mask filters, and
// the whole square-mask paste-back.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image/mask_filters.h"
#include "image/warp_affine.h"
#include "pipeline/face_alignment.h"
#include "pipeline/face_parse_mask.h"
#include "pipeline/face_paste.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<float> read_f32(const fs::path& path, size_t count) {
  std::vector<float> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(float)));
  EXPECT_EQ(static_cast<size_t>(in.gcount()), count * sizeof(float)) << path;
  return values;
}

image::Image read_image(const fs::path& path, int width, int height, int channels) {
  image::Image out(width, height, channels);
  const std::vector<float> values = read_f32(path, out.sample_count());
  std::copy(values.begin(), values.end(), out.pixels());
  return out;
}

double max_abs_diff(const image::Image& a, const image::Image& b) {
  double worst = 0;
  for (size_t i = 0; i < a.sample_count(); ++i) worst = std::max(worst, double(std::abs(a.pixels()[i] - b.pixels()[i])));
  return worst;
}

double mean_abs_diff(const image::Image& a, const image::Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.sample_count(); ++i) sum += std::abs(a.pixels()[i] - b.pixels()[i]);
  return sum / a.sample_count();
}

constexpr int kWidth = 420, kHeight = 300;

class FacePasteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(UPRES_TEST_OUTPUT_DIR) / "face_paste_cv2";
    fs::create_directories(dir_);
    if (std::system("/usr/bin/python3 -c 'import cv2, numpy' >/dev/null 2>&1") != 0) {
      skip_reason_ = "/usr/bin/python3 with cv2 (python3-opencv) is not available";
      return;
    }
    const std::string command = "/usr/bin/python3 " + std::string(UPRES_SOURCE_DIR) +
                                "/tests/reference/face_paste_cv2.py " + dir_.string() + " >/dev/null";
    if (std::system(command.c_str()) != 0) skip_reason_ = "failed: " + command;
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }
  FiveLandmarks landmarks() const {
    const std::vector<float> v = read_f32(dir_ / "landmarks.f32", 10);
    FiveLandmarks points;
    for (int i = 0; i < 5; ++i) points[i] = {v[2 * i], v[2 * i + 1]};
    return points;
  }
  static fs::path dir_;
  static std::string skip_reason_;
};
fs::path FacePasteTest::dir_;
std::string FacePasteTest::skip_reason_;

TEST_F(FacePasteTest, SimilarityMatchesOpenCvLmeds) {
  auto ours = estimate_similarity(landmarks(), ffhq_template(512));
  ASSERT_TRUE(ours.is_ok()) << ours.status().to_string();
  const std::vector<float> m = read_f32(dir_ / "matrix.f32", 6);
  const image::AffineTransform cv{m[0], m[1], m[2], m[3], m[4], m[5]};
  // Compare where the two transforms send the (noisy) landmarks.
  for (const FacePoint& p : landmarks()) {
    double ox, oy, cx, cy;
    ours->apply(p.x, p.y, ox, oy);
    cv.apply(p.x, p.y, cx, cy);
    EXPECT_NEAR(ox, cx, 0.01);
    EXPECT_NEAR(oy, cy, 0.01);
  }
}

TEST_F(FacePasteTest, AlignedCropMatchesWarpAffine) {
  const std::vector<float> m = read_f32(dir_ / "matrix.f32", 6);
  const image::AffineTransform cv{m[0], m[1], m[2], m[3], m[4], m[5]};
  const image::Image picture = read_image(dir_ / "picture.f32", kWidth, kHeight, 3);
  auto crop = image::warp_affine(picture, cv, 512, 512, {132 / 255.0f, 133 / 255.0f, 135 / 255.0f});
  ASSERT_TRUE(crop.is_ok());
  const image::Image expected = read_image(dir_ / "crop.f32", 512, 512, 3);
  // OpenCV snaps sample positions to 1/32 pixel; we sample exactly.
  EXPECT_LT(max_abs_diff(*crop, expected), 0.01);
  EXPECT_LT(mean_abs_diff(*crop, expected), 0.001);
}

TEST_F(FacePasteTest, ErodeAndGaussianBlurMatchOpenCv) {
  const image::Image mask = read_image(dir_ / "mask.f32", kWidth, kHeight, 1);
  EXPECT_EQ(max_abs_diff(image::erode(mask, 7), read_image(dir_ / "eroded.f32", kWidth, kHeight, 1)), 0.0);
  EXPECT_LT(max_abs_diff(image::gaussian_blur(mask, 31), read_image(dir_ / "blurred.f32", kWidth, kHeight, 1)), 1e-5);
  EXPECT_LT(max_abs_diff(image::gaussian_blur(mask, 5), read_image(dir_ / "blurred5.f32", kWidth, kHeight, 1)), 1e-5);
}

TEST_F(FacePasteTest, PasteBackMatchesFacexlib) {
  const std::vector<float> m = read_f32(dir_ / "matrix.f32", 6);
  const image::AffineTransform cv{m[0], m[1], m[2], m[3], m[4], m[5]};
  auto back = cv.inverse();
  ASSERT_TRUE(back.is_ok());
  image::Image picture = read_image(dir_ / "picture.f32", kWidth, kHeight, 3);
  const image::Image original = picture;
  const image::Image face = read_image(dir_ / "face.f32", 512, 512, 3);
  auto touched = paste_face(picture, face, *back);
  ASSERT_TRUE(touched.is_ok()) << touched.status().to_string();
  EXPECT_GT(*touched, 10000);
  const image::Image expected = read_image(dir_ / "pasted.f32", kWidth, kHeight, 3);
  EXPECT_LT(max_abs_diff(picture, expected), 0.01);
  EXPECT_LT(mean_abs_diff(picture, expected), 1e-4);
  // And it really changed the picture where the face went (the check above is not vacuous).
  EXPECT_GT(max_abs_diff(original, expected), 0.2);
}

TEST_F(FacePasteTest, ParsingMaskAndItsPasteMatchFacexlib) {
  std::vector<uint8_t> labels(512 * 512);
  std::ifstream in(dir_ / "labels.u8", std::ios::binary);
  in.read(reinterpret_cast<char*>(labels.data()), static_cast<std::streamsize>(labels.size()));
  auto mask = face_parse_mask(labels, 512);
  ASSERT_TRUE(mask.is_ok()) << mask.status().to_string();
  EXPECT_LT(max_abs_diff(*mask, read_image(dir_ / "parse_mask.f32", 512, 512, 1)), 1e-5);

  const std::vector<float> m = read_f32(dir_ / "matrix.f32", 6);
  auto back = image::AffineTransform{m[0], m[1], m[2], m[3], m[4], m[5]}.inverse();
  ASSERT_TRUE(back.is_ok());
  image::Image picture = read_image(dir_ / "picture.f32", kWidth, kHeight, 3);
  const image::Image face = read_image(dir_ / "face.f32", 512, 512, 3);
  ASSERT_TRUE(paste_face(picture, face, *back, &*mask).is_ok());
  const image::Image expected = read_image(dir_ / "pasted_parse.f32", kWidth, kHeight, 3);
  EXPECT_LT(max_abs_diff(picture, expected), 0.01);
  EXPECT_LT(mean_abs_diff(picture, expected), 1e-4);
  labels[7] = 19;
  EXPECT_EQ(face_parse_mask(labels, 512).status().code(), StatusCode::kInvalidArgument);
}

TEST(FacePaste, FaceOutsideThePictureChangesNothing) {
  image::Image picture(64, 48, 3);
  image::Image face(512, 512, 3);
  std::fill(face.pixels(), face.pixels() + face.sample_count(), 1.0f);
  image::AffineTransform far_away{0.1, 0, 5000, 0, 0.1, 5000};
  auto touched = paste_face(picture, face, far_away);
  ASSERT_TRUE(touched.is_ok());
  EXPECT_EQ(*touched, 0);
  for (size_t i = 0; i < picture.sample_count(); ++i) ASSERT_EQ(picture.pixels()[i], 0.0f);
}

TEST(FacePaste, GreyPictureTakesLuminanceAndAlphaIsKept) {
  image::Image picture(200, 200, 2);  // grey + alpha
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 200; ++x) picture.at(x, y, 1) = 0.25f;
  image::Image face(512, 512, 3);
  for (int y = 0; y < 512; ++y)
    for (int x = 0; x < 512; ++x) face.at(x, y, 0) = 1.0f;  // pure red
  const image::AffineTransform quarter{0.25, 0, 36, 0, 0.25, 36};  // 128 px face in the middle
  ASSERT_TRUE(paste_face(picture, face, quarter).is_ok());
  EXPECT_NEAR(picture.at(100, 100, 0), 0.299f, 1e-5);  // the centre is fully pasted
  EXPECT_EQ(picture.at(100, 100, 1), 0.25f);
  EXPECT_EQ(picture.at(5, 5, 0), 0.0f);                // far outside the face: untouched
}

TEST(FaceAlignment, SimilarityRecoversAnExactTransform) {
  const FiveLandmarks target = ffhq_template(512);
  const image::AffineTransform truth{0.8, -0.3, 40, 0.3, 0.8, -12};  // scale 0.85, ~20 degrees
  auto truth_inverse = truth.inverse();
  ASSERT_TRUE(truth_inverse.is_ok());
  FiveLandmarks seen;
  for (int i = 0; i < 5; ++i) {
    double x, y;
    truth_inverse->apply(target[i].x, target[i].y, x, y);
    seen[i] = {static_cast<float>(x), static_cast<float>(y)};
  }
  auto found = estimate_similarity(seen, target);
  ASSERT_TRUE(found.is_ok());
  EXPECT_NEAR(found->a, truth.a, 1e-4);
  EXPECT_NEAR(found->b, truth.b, 1e-4);
  EXPECT_NEAR(found->c, truth.c, 1e-2);
  EXPECT_NEAR(found->f, truth.f, 1e-2);
  FiveLandmarks same;
  same.fill({3, 3});
  EXPECT_EQ(estimate_similarity(same, target).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace upres::pipeline
