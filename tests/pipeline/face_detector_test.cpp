// FaceDetector with the real RetinaFace MobileNet-0.25 weights on real photos against the same
// weights run in PyTorch with facexlib's pre- and post-processing (tests/reference/
// retinaface_torch.py detect), plus hand-made cases for the prior boxes and NMS.
#include "pipeline/face_detector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image/image_codec.h"
#include "model_test_support.h"
#include "pipeline/non_max_suppression.h"
#include "pipeline/retinaface_priors.h"

namespace upres::pipeline {
namespace {

namespace fs = std::filesystem;

fs::path test_data_dir() { return fs::path(UPRES_TEST_DATA_DIR); }
fs::path mobilenet_path() {
  return test_data_dir() / "models/retinaface/detection_mobilenet0.25_Final.pth";
}
fs::path photo(const std::string& name) { return test_data_dir() / "images/faces" / name; }

// --- prior boxes and decoding --------------------------------------------------------------------

TEST(RetinaFacePriorsTest, OrderAndValuesFollowFacexlib) {
  // 16 x 24: stride 8 -> 2 x 3 cells, stride 16 -> 1 x 2, stride 32 -> 1 x 1; two sizes each.
  const std::vector<PriorBox> priors = retinaface_priors(16, 24);
  ASSERT_EQ(priors.size(), 2u * (6 + 2 + 1));
  auto expect_prior = [](const PriorBox& p, double cx, double cy, double w, double h) {
    EXPECT_FLOAT_EQ(p.cx, static_cast<float>(cx));
    EXPECT_FLOAT_EQ(p.cy, static_cast<float>(cy));
    EXPECT_FLOAT_EQ(p.w, static_cast<float>(w));
    EXPECT_FLOAT_EQ(p.h, static_cast<float>(h));
  };
  expect_prior(priors[0], 4.0 / 24, 4.0 / 16, 16.0 / 24, 16.0 / 16);   // cell (0, 0), size 16
  expect_prior(priors[1], 4.0 / 24, 4.0 / 16, 32.0 / 24, 32.0 / 16);   // same cell, size 32
  expect_prior(priors[2], 12.0 / 24, 4.0 / 16, 16.0 / 24, 1.0);        // cell (0, 1): columns first
  expect_prior(priors[6], 4.0 / 24, 12.0 / 16, 16.0 / 24, 1.0);        // cell (1, 0)
  expect_prior(priors[12], 8.0 / 24, 8.0 / 16, 64.0 / 24, 64.0 / 16);  // stride 16
  expect_prior(priors[17], 16.0 / 24, 16.0 / 16, 512.0 / 24, 512.0 / 16);  // stride 32, size 512
}

TEST(RetinaFacePriorsTest, DecodeAppliesVariances) {
  const PriorBox prior{0.5f, 0.25f, 0.2f, 0.4f};
  const float zero[10] = {};
  const std::array<float, 4> box = decode_box(zero, prior);
  EXPECT_FLOAT_EQ(box[0], 0.4f);
  EXPECT_FLOAT_EQ(box[1], 0.05f);
  EXPECT_FLOAT_EQ(box[2], 0.6f);
  EXPECT_FLOAT_EQ(box[3], 0.45f);
  const float offsets[4] = {1.0f, -2.0f, 1.0f, 0.0f};
  const std::array<float, 4> moved = decode_box(offsets, prior);
  const float w = 0.2f * std::exp(0.2f);
  EXPECT_NEAR(moved[0], 0.5f + 0.1f * 0.2f - w / 2, 1e-6);            // cx + 0.1 * dx * w
  EXPECT_NEAR(moved[2] - moved[0], w, 1e-6);                          // w * exp(0.2 * dw)
  EXPECT_NEAR((moved[1] + moved[3]) / 2, 0.25f - 0.2f * 0.4f, 1e-6);  // cy + 0.1 * dy * h
  const float marks[10] = {1, 0, 0, 1, -1, 0, 0, -1, 2, 2};
  const std::array<float, 10> points = decode_landmarks(marks, prior);
  EXPECT_FLOAT_EQ(points[0], 0.52f);
  EXPECT_FLOAT_EQ(points[3], 0.29f);
  EXPECT_FLOAT_EQ(points[4], 0.48f);
  EXPECT_FLOAT_EQ(points[9], 0.33f);
}

// --- NMS ---------------------------------------------------------------------------------------

TEST(NonMaxSuppressionTest, UsesInclusivePixelAreas) {
  // A [0, 9] x [0, 9] and B [5, 14] x [0, 9]: with facexlib's +1 the overlap is 50 / 150 = 1/3;
  // without it 36 / 126 = 0.29. At 0.3 the +1 suppresses B; at 0.4 both stay.
  const std::vector<ScoredBox> boxes = {{0, 0, 9, 9, 0.9f}, {5, 0, 14, 9, 0.8f}};
  EXPECT_EQ(non_max_suppression(boxes, 0.3f), (std::vector<int>{0}));
  EXPECT_EQ(non_max_suppression(boxes, 0.4f), (std::vector<int>{0, 1}));
}

TEST(NonMaxSuppressionTest, GreedyInScoreOrder) {
  // B overlaps both A and C heavily, A and C are disjoint: B (best) suppresses both; with B
  // weakest, A and C stay and B goes. Output order is by score.
  const std::vector<ScoredBox> chain = {
      {0, 0, 10, 10, 0.5f}, {2, 0, 12, 10, 0.9f}, {4, 0, 14, 10, 0.4f}, {100, 100, 110, 110, 0.7f}};
  EXPECT_EQ(non_max_suppression(chain, 0.4f), (std::vector<int>{1, 3}));
  std::vector<ScoredBox> weak_middle = chain;
  weak_middle[1].score = 0.1f;
  weak_middle[2] = {20, 0, 30, 10, 0.6f};
  EXPECT_EQ(non_max_suppression(weak_middle, 0.4f), (std::vector<int>{3, 2, 0}));
  EXPECT_TRUE(non_max_suppression({}, 0.4f).empty());
}

// --- real weights against PyTorch -------------------------------------------------------------

struct Reference {
  std::vector<uint8_t> pixels;  // PIL's decode, RGB interleaved
  nlohmann::json faces;
};

// Runs the script's facexlib pipeline on `name`; empty faces with a skip reason on failure.
bool run_reference(const std::string& name, Reference* out, std::string* why) {
  const fs::path dir = fs::path(UPRES_TEST_OUTPUT_DIR) /
                       ("face_detector_" + name + "." + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string args =
      "detect " + mobilenet_path().string() + " " + photo(name).string() + " " + dir.string();
  if (!models::testing::run_reference_script("retinaface_torch.py", args, why)) return false;
  std::ifstream pixels(dir / "pixels.u8", std::ios::binary);
  out->pixels.assign(std::istreambuf_iterator<char>(pixels), {});
  out->faces = nlohmann::json::parse(std::ifstream(dir / "faces.json"));
  std::error_code error;
  fs::remove_all(dir, error);
  return true;
}

class RealPhotoTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RealPhotoTest, MatchesFacexlibInPyTorch) {
  if (!fs::exists(mobilenet_path()) || !fs::exists(photo(GetParam()))) {
    GTEST_SKIP() << "tests/data/models/retinaface or tests/data/images/faces is absent";
  }
  Reference ref;
  std::string why;
  if (!run_reference(GetParam(), &ref, &why)) GTEST_SKIP() << why;
  auto picture = image::read_image(photo(GetParam()));
  ASSERT_TRUE(picture.is_ok()) << picture.status().to_string();
  ASSERT_EQ(picture->channels(), 3);
  // Both sides must see the same pixels: libvips and PIL decode the JPEG identically.
  ASSERT_EQ(ref.pixels.size(), picture->sample_count());
  int64_t differing = 0;
  for (size_t i = 0; i < ref.pixels.size(); ++i) {
    differing += std::lround(picture->pixels()[i] * 255.0f) != ref.pixels[i];
  }
  ASSERT_EQ(differing, 0) << "libvips and PIL decode " << GetParam() << " differently";

  auto detector = FaceDetector::load(mobilenet_path());
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  EXPECT_EQ((*detector)->name(), "RetinaFace MobileNet0.25");
  auto faces = (*detector)->detect(*picture);
  ASSERT_TRUE(faces.is_ok()) << faces.status().to_string();
  const nlohmann::json& expected = ref.faces.at("faces");
  ASSERT_GE(expected.size(), 1u) << "the reference found no face in " << GetParam();
  ASSERT_EQ(faces->size(), expected.size());
  for (size_t i = 1; i < faces->size(); ++i) EXPECT_GE((*faces)[i - 1].score, (*faces)[i].score);
  for (const nlohmann::json& want : expected) {
    // Two faces can score alike: pair each reference face with the nearest detected box.
    const auto box = want.at("box").get<std::vector<float>>();
    const DetectedFace* best = nullptr;
    for (const DetectedFace& f : *faces) {
      if (best == nullptr || std::fabs(f.x0 - box[0]) + std::fabs(f.y0 - box[1]) <
                                 std::fabs(best->x0 - box[0]) + std::fabs(best->y0 - box[1])) {
        best = &f;
      }
    }
    SCOPED_TRACE("reference face at " + want.at("box").dump());
    EXPECT_NEAR(best->x0, box[0], 1.0);
    EXPECT_NEAR(best->y0, box[1], 1.0);
    EXPECT_NEAR(best->x1, box[2], 1.0);
    EXPECT_NEAR(best->y1, box[3], 1.0);
    EXPECT_NEAR(best->score, want.at("score").get<float>(), 1e-3);
    const nlohmann::json& marks = want.at("landmarks");
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_NEAR(best->landmarks[k].x, marks[k][0].get<float>(), 1.0) << "landmark " << k;
      EXPECT_NEAR(best->landmarks[k].y, marks[k][1].get<float>(), 1.0) << "landmark " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Photos, RealPhotoTest,
                         ::testing::Values("portrait.jpg", "group_small.jpg"),
                         [](const auto& info) {
                           return info.param == "portrait.jpg" ? std::string("Portrait")
                                                               : std::string("GroupSmall");
                         });

// Where a person sees the faces, from how tests/data/images/faces/make_faces.py built the pictures
// out of astronaut.png: the head box (x 130-330, y 0-230 of the 512 photo) scaled by `scale` and
// pasted at (left, top), mirrored or not. In that box, read off the photo by eye: the eyes at
// (70, 102) and (112, 102), the nose tip at (92, 125).
struct PastedHead {
  double scale, left, top;
  bool mirrored;
  FacePoint at(double x, double y) const {
    return {static_cast<float>(left + (mirrored ? 200 - x : x) * scale), static_cast<float>(top + y * scale)};
  }
  // Left and right eye as seen in the picture, then the nose.
  std::array<FacePoint, 3> eyes_and_nose() const {
    const FacePoint a = at(70, 102), b = at(112, 102);
    return {a.x < b.x ? a : b, a.x < b.x ? b : a, at(92, 125)};
  }
};

void expect_faces_at(const std::string& name, const std::vector<PastedHead>& heads) {
  auto picture = image::read_image(photo(name));
  ASSERT_TRUE(picture.is_ok()) << picture.status().to_string();
  auto detector = FaceDetector::load(mobilenet_path());
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  auto faces = (*detector)->detect(*picture);
  ASSERT_TRUE(faces.is_ok()) << faces.status().to_string();
  ASSERT_EQ(faces->size(), heads.size()) << name;
  for (const PastedHead& head : heads) {
    const std::array<FacePoint, 3> want = head.eyes_and_nose();
    // By-eye readings are good to a few photo pixels; the copies are 0.36-0.75 of the photo's size.
    const double tolerance = 2 + 10 * head.scale;
    const DetectedFace* nearest = &faces->front();
    for (const DetectedFace& face : *faces) {
      if (std::hypot(face.landmarks[2].x - want[2].x, face.landmarks[2].y - want[2].y) <
          std::hypot(nearest->landmarks[2].x - want[2].x, nearest->landmarks[2].y - want[2].y))
        nearest = &face;
    }
    SCOPED_TRACE(name + ": head pasted at " + std::to_string(head.left) + ", " + std::to_string(head.top));
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(nearest->landmarks[k].x, want[k].x, tolerance) << "landmark " << k;
      EXPECT_NEAR(nearest->landmarks[k].y, want[k].y, tolerance) << "landmark " << k;
    }
    EXPECT_GT(nearest->score, 0.9f);
    EXPECT_TRUE(nearest->x0 < want[0].x && nearest->x1 > want[1].x && nearest->y0 < want[0].y &&
                nearest->y1 > want[2].y)
        << "box does not hold the eyes and nose";
  }
}

TEST(FaceDetectorTest, FindsTheOneFaceOfThePortrait) {
  if (!fs::exists(mobilenet_path())) GTEST_SKIP() << mobilenet_path() << " is absent";
  expect_faces_at("portrait.jpg", {{0.75, 130 * 0.75, 0, false}});  // the whole photo at 384 px
}

TEST(FaceDetectorTest, FindsTheThreePastedFacesOfTheGroupPicture) {
  if (!fs::exists(mobilenet_path())) GTEST_SKIP() << mobilenet_path() << " is absent";
  // make_faces.py's COPIES: width 72 at (10, 80), 110 mirrored at (100, 30), 88 at (224, 70).
  expect_faces_at("group_small.jpg", {{72 / 200.0, 10, 80, false},
                                      {110 / 200.0, 100, 30, true},
                                      {88 / 200.0, 224, 70, false}});
}

// Grey and grey+alpha pictures are the RGB picture with equal channels; alpha is ignored.
TEST(FaceDetectorTest, GreyAndAlphaInputsMatchTheirRgbForm) {
  if (!fs::exists(mobilenet_path())) GTEST_SKIP() << mobilenet_path() << " is absent";
  auto rgb = image::read_image(photo("group_small.jpg"));
  ASSERT_TRUE(rgb.is_ok()) << rgb.status().to_string();
  image::Image grey(rgb->width(), rgb->height(), 2);
  image::Image grey_rgb(rgb->width(), rgb->height(), 3);
  for (int y = 0; y < rgb->height(); ++y) {
    for (int x = 0; x < rgb->width(); ++x) {
      const float v =
          std::round((rgb->at(x, y, 0) + rgb->at(x, y, 1) + rgb->at(x, y, 2)) / 3 * 255) / 255;
      grey.at(x, y, 0) = v;
      grey.at(x, y, 1) = (x + y) % 2 ? 0.0f : 1.0f;
      for (int c = 0; c < 3; ++c) grey_rgb.at(x, y, c) = v;
    }
  }
  auto detector = FaceDetector::load(mobilenet_path());
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  auto from_grey = (*detector)->detect(grey);
  auto from_rgb = (*detector)->detect(grey_rgb);
  ASSERT_TRUE(from_grey.is_ok() && from_rgb.is_ok());
  ASSERT_GE(from_rgb->size(), 1u);
  ASSERT_EQ(from_grey->size(), from_rgb->size());
  for (size_t i = 0; i < from_rgb->size(); ++i) {
    EXPECT_EQ((*from_grey)[i].x0, (*from_rgb)[i].x0);
    EXPECT_EQ((*from_grey)[i].score, (*from_rgb)[i].score);
    EXPECT_EQ((*from_grey)[i].landmarks[2].y, (*from_rgb)[i].landmarks[2].y);
  }
}

TEST(FaceDetectorTest, OptionsAreChecked) {
  if (!fs::exists(mobilenet_path())) GTEST_SKIP() << mobilenet_path() << " is absent";
  auto detector = FaceDetector::load(mobilenet_path());
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  image::Image picture(40, 30, 3);
  FaceDetectOptions options;
  options.confidence_threshold = 1.5f;
  EXPECT_EQ((*detector)->detect(picture, options).status().code(), StatusCode::kInvalidArgument);
  options = {};
  options.backend = "no-such-backend";
  EXPECT_FALSE((*detector)->detect(picture, options).is_ok());
  // A blank picture at its own size (no upscale) has no face, on the reference backend too.
  options = {};
  options.min_short_side = 0;
  options.backend = "reference";
  auto faces = (*detector)->detect(picture, options);
  ASSERT_TRUE(faces.is_ok()) << faces.status().to_string();
  EXPECT_TRUE(faces->empty());
}

TEST(FaceDetectorTest, MissingWeightsAreNotFoundNamingTheFile) {
  auto detector = FaceDetector::load("/nonexistent/detection_Resnet50_Final.pth");
  ASSERT_FALSE(detector.is_ok());
  EXPECT_NE(detector.status().to_string().find("detection_Resnet50_Final.pth"), std::string::npos);
}

}  // namespace
}  // namespace upres::pipeline
