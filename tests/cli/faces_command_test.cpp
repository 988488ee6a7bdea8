// Runs the real `upres faces` on a real photo with the real MobileNet-0.25 detector, and on a
// missing file.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;

using cli_testing::CommandRun;

// `upres faces <arguments> <redirect>` ("2>&1", "2>/dev/null").
CommandRun run_faces(const std::string& arguments, const std::string& redirect) {
  return cli_testing::run_upres("faces " + arguments, redirect);
}

fs::path mobilenet() {
  return fs::path(UPRES_TEST_DATA_DIR) / "models/retinaface/detection_mobilenet0.25_Final.pth";
}
fs::path portrait() { return fs::path(UPRES_TEST_DATA_DIR) / "images/faces/portrait.jpg"; }

TEST(FacesCommandTest, PrintsThePortraitsFaceAsJson) {
  if (!fs::exists(mobilenet()) || !fs::exists(portrait())) GTEST_SKIP() << "tests/data is incomplete";
  const CommandRun run =
      run_faces("'" + portrait().string() + "' --face-detector '" + mobilenet().string() + "'",
                "2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json result = nlohmann::json::parse(run.output);
  EXPECT_EQ(result.at("file"), portrait().string());
  EXPECT_EQ(result.at("width"), 384);
  EXPECT_EQ(result.at("height"), 384);
  const nlohmann::json& faces = result.at("faces");
  ASSERT_EQ(faces.size(), 1u) << run.output;  // one person (the astronaut) in portrait.jpg
  for (const nlohmann::json& face : faces) {
    const auto box = face.at("box").get<std::vector<double>>();
    ASSERT_EQ(box.size(), 4u);
    EXPECT_LT(box[0], box[2]);
    EXPECT_LT(box[1], box[3]);
    EXPECT_GT(face.at("score").get<double>(), 0.8);
    ASSERT_EQ(face.at("landmarks").size(), 5u);
    for (const nlohmann::json& point : face.at("landmarks")) {
      const double x = point.at(0).get<double>(), y = point.at(1).get<double>();
      EXPECT_TRUE(x > box[0] && x < box[2] && y > box[1] && y < box[3])
          << "landmark " << point.dump() << " outside box " << face.at("box").dump();
    }
  }
  // A threshold above every score finds nothing.
  const CommandRun strict = run_faces(
      "'" + portrait().string() + "' --threshold 1 --face-detector '" + mobilenet().string() + "'",
      "2>/dev/null");
  ASSERT_EQ(strict.exit_code, 0) << strict.output;
  EXPECT_TRUE(nlohmann::json::parse(strict.output).at("faces").empty());
}

TEST(FacesCommandTest, MissingPictureExitsNonZeroNamingIt) {
  const CommandRun run = run_faces("/nonexistent/no_such_photo.jpg", "2>&1");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("no_such_photo.jpg"), std::string::npos) << run.output;
}

TEST(FacesCommandTest, MissingDetectorFileExitsNonZeroNamingIt) {
  if (!fs::exists(portrait())) GTEST_SKIP() << "tests/data is incomplete";
  const CommandRun run =
      run_faces("'" + portrait().string() + "' --face-detector /nonexistent/detector.pth", "2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("detector.pth"), std::string::npos) << run.output;
}

TEST(FacesCommandTest, BadUsageExitsTwo) {
  EXPECT_EQ(run_faces("", "2>&1").exit_code, 2);
  EXPECT_EQ(run_faces("x.jpg --threshold 1.5", "2>&1").exit_code, 2);
}

}  // namespace
}  // namespace upres
