// RetinaFace (MobileNet-0.25 and ResNet-50 bodies) against the same random weights run in
// PyTorch (tests/reference/retinaface_torch.py), on the cpu and reference backends, plus the
// backbone detection and the error for a file that is not a RetinaFace.
#include "models/retinaface.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>

#include "engine/backend_registry.h"
#include "model_test_support.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string backbone;  // the script's name for it
  int height, width;
  int seed;
  // Relative to the largest output magnitude (at least 1). ResNet-50 stacks 53 convolutions
  // before the heads, and fp32 rounding grows with depth: 2e-4 there.
  double tolerance = 1e-4;
};

fs::path script_path() {
  return fs::path(UPRES_SOURCE_DIR) / "tests/reference/retinaface_torch.py";
}

// The fixture directory for `c`, made by the script unless a complete one newer than the script
// exists. Each test runs in its own process, maybe in parallel: a fresh set is made beside the
// directory and renamed into place unless another process got there first.
bool is_current(const fs::path& dir, const Case& c) {
  std::error_code error;
  const fs::path last = dir / (c.backbone + "_landmarks.f32");
  return fs::exists(last, error) &&
         fs::last_write_time(last, error) >= fs::last_write_time(script_path(), error);
}

Result<fs::path> fixtures_for(const Case& c) {
  const fs::path dir = fs::path(UPRES_TEST_OUTPUT_DIR) / ("retinaface_" + c.backbone);
  if (is_current(dir, c)) return dir;
  const std::string pid = std::to_string(::getpid());
  const fs::path fresh = dir.string() + ".new." + pid;
  std::error_code error;
  fs::create_directories(fresh, error);
  std::string message;
  const std::string args = "network " + c.backbone + " " + fresh.string() + " " +
                           std::to_string(c.height) + " " + std::to_string(c.width) + " " +
                           std::to_string(c.seed);
  if (!testing::run_reference_script("retinaface_torch.py", args, &message))
    return not_found(message);
  if (!is_current(dir, c)) {
    fs::rename(dir, dir.string() + ".old." + pid, error);  // a stale set, moved aside atomically
    fs::rename(fresh, dir, error);
    fs::remove_all(dir.string() + ".old." + pid, error);
  }
  fs::remove_all(fresh, error);
  if (!is_current(dir, c)) return not_found("fixtures in " + dir.string() + " were not made");
  return dir;
}

class RetinaFaceTorchTest : public ::testing::TestWithParam<Case> {};

TEST_P(RetinaFaceTorchTest, MatchesPyTorchOnEveryBackend) {
  const Case& c = GetParam();
  auto dir = fixtures_for(c);
  if (!dir.is_ok()) GTEST_SKIP() << dir.status().to_string();
  const fs::path pth = *dir / ("retinaface_" + c.backbone + ".pth");
  auto network = RetinaFace::load(pth);
  ASSERT_TRUE(network.is_ok()) << network.status().to_string();
  EXPECT_EQ((*network)->name(),
            c.backbone == "resnet50" ? "RetinaFace ResNet50" : "RetinaFace MobileNet0.25");
  EXPECT_EQ((*network)->config().out_channel, c.backbone == "resnet50" ? 256 : 64);

  const int64_t n = RetinaFace::anchor_count(c.height, c.width);
  const std::string stem = (*dir / c.backbone).string();
  auto input = testing::read_f32_tensor(stem + "_input.f32", {1, 3, c.height, c.width});
  auto loc = testing::read_f32_tensor(stem + "_loc.f32", {1, n, 4});
  auto conf = testing::read_f32_tensor(stem + "_conf.f32", {1, n, 2});
  auto landmarks = testing::read_f32_tensor(stem + "_landmarks.f32", {1, n, 10});
  ASSERT_TRUE(input.is_ok() && loc.is_ok() && conf.is_ok() && landmarks.is_ok())
      << "fixture sizes do not match " << n << " anchors";

  auto graph = (*network)->build_graph(c.height, c.width);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  for (const std::string& name : engine::backend_names()) {
    SCOPED_TRACE("backend " + name);
    auto backend = engine::create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto executable = (*backend)->prepare(*graph, engine::PrepareOptions{});
    ASSERT_TRUE(executable.is_ok()) << executable.status().to_string();
    std::vector<engine::Tensor> outputs(3);
    const Status run = (*executable)->run({&*input, 1}, outputs);
    ASSERT_TRUE(run.is_ok()) << run.to_string();
    // Offsets can reach tens with random weights: compare relative to the largest magnitude.
    auto scaled = [&c](const engine::Tensor& t) {
      double largest = 1.0;
      for (float v : t.to_f32()) largest = std::max(largest, static_cast<double>(std::fabs(v)));
      return c.tolerance * largest;
    };
    EXPECT_LE(testing::max_abs_diff(outputs[0], *loc), scaled(*loc)) << "loc";
    EXPECT_LE(testing::max_abs_diff(outputs[1], *conf), c.tolerance) << "conf";
    EXPECT_LE(testing::max_abs_diff(outputs[2], *landmarks), scaled(*landmarks)) << "landmarks";
  }
}

INSTANTIATE_TEST_SUITE_P(Backbones, RetinaFaceTorchTest,
                         ::testing::Values(Case{"mobilenet0.25", 123, 161, 1},
                                           // 50 layers of random weights; on the AVX2 class
                                           // upres's Winograd F(4x4,3x3) rounds ~2x coarser than
                                           // oneDNN's AVX-512 one: 2.03e-4 relative measured.
                                           Case{"resnet50", 100, 130, 2, 3e-4}),
                         [](const auto& info) {
                           return info.param.backbone == "resnet50" ? std::string("ResNet50")
                                                                    : std::string("MobileNet025");
                         });

TEST(RetinaFaceTest, AnchorCountSumsTwoPerCellOverStrides) {
  // 640x480: 80x60 + 40x30 + 20x15 cells.
  EXPECT_EQ(RetinaFace::anchor_count(480, 640), 2 * (80 * 60 + 40 * 30 + 20 * 15));
  // Partial cells count (ceil): 17x9 -> 3x2, 2x1, 1x1.
  EXPECT_EQ(RetinaFace::anchor_count(9, 17), 2 * (3 * 2 + 2 * 1 + 1 * 1));
}

TEST(RetinaFaceTest, RealMobileNetWeightsAreDetected) {
  const fs::path pth =
      fs::path(UPRES_TEST_DATA_DIR) / "models/retinaface/detection_mobilenet0.25_Final.pth";
  if (!fs::exists(pth)) GTEST_SKIP() << pth << " is absent from tests/data";
  auto network = RetinaFace::load(pth);
  ASSERT_TRUE(network.is_ok()) << network.status().to_string();
  EXPECT_EQ((*network)->config().backbone, RetinaFace::Backbone::kMobileNet025);
  EXPECT_FLOAT_EQ((*network)->config().fpn_slope(), 0.1f);
  auto graph = (*network)->build_graph(64, 48);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  ASSERT_EQ(graph->outputs().size(), 3u);
  EXPECT_EQ(graph->shape(graph->outputs()[1]),
            (engine::Shape{1, RetinaFace::anchor_count(64, 48), 2}));
}

TEST(RetinaFaceTest, OtherWeightFilesAreRefusedNamingTheFile) {
  auto dir = fixtures_for({"mobilenet0.25", 123, 161, 1});
  if (!dir.is_ok()) GTEST_SKIP() << dir.status().to_string();
  // The random-weight input tensor file is not a weight file at all.
  const fs::path bogus = *dir / "mobilenet0.25_input.f32";
  auto network = RetinaFace::load(bogus);
  ASSERT_FALSE(network.is_ok());
  EXPECT_NE(network.status().to_string().find("mobilenet0.25_input.f32"), std::string::npos)
      << network.status().to_string();
}

}  // namespace
}  // namespace upres::models
