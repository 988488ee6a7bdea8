// The ncnn layer forms the npm models do not use (depthwise convolution, Padding, Slice, valid
// pooling, global max pooling, depth-to-space, asymmetric deconvolution pads, Scale weights,
// scalar BinaryOp, TanH, ...), in a random-weight model written by
// tests/reference/ncnn_synthetic_model.py, against the same PyTorch runner as the npm models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "model_test_support.h"
#include "models/ncnn_upscale_model.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

TEST(NcnnLayerCoverageTest, SyntheticModelMatchesPyTorchOnEveryBackend) {
  fs::path picture = fs::path(UPRES_TEST_DATA_DIR) / "images/set14/comic.png";
  if (!fs::exists(picture)) GTEST_SKIP() << picture << " absent";
  fs::path dir = fs::path(UPRES_TEST_OUTPUT_DIR) / "ncnn_synthetic";
  fs::remove_all(dir);
  fs::path scripts = fs::path(UPRES_SOURCE_DIR) / "tests/reference";
  constexpr int kSize = 24;
  std::string command = "/usr/bin/python3 " + (scripts / "ncnn_synthetic_model.py").string() + " " + dir.string() +
                        " && /usr/bin/python3 " + (scripts / "ncnn_torch_reference.py").string() + " " +
                        (dir / "model.param").string() + " " + picture.string() + " 100 120 " +
                        std::to_string(kSize) + " " + (dir / "ref").string() + " > " + (dir.string() + ".log") + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto x = testing::read_f32_tensor(dir / "ref/input.f32", {1, 3, kSize, kSize});
  ASSERT_TRUE(x.is_ok()) << x.status().to_string();
  auto expected_tensor = testing::read_f32_tensor(dir / "ref/expected.f32", {1, 3, 4 * kSize, 4 * kSize});
  ASSERT_TRUE(expected_tensor.is_ok()) << expected_tensor.status().to_string();
  const std::vector<float> expected = expected_tensor->to_f32();

  auto model = load_ncnn_upscale_model(dir / "model.param");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->scale(), 4);
  auto graph = (*model)->build_graph(kSize, kSize);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  float largest = 0;
  for (float v : expected) largest = std::max(largest, std::fabs(v));
  EXPECT_GT(largest, 0.1f);  // the output is not trivially zero
  for (const std::string& name : engine::backend_names()) {
    auto backend = engine::create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto exe = (*backend)->prepare(*graph, {});
    ASSERT_TRUE(exe.is_ok()) << name << ": " << exe.status().to_string();
    std::vector<engine::Tensor> outputs(1);
    ASSERT_TRUE((*exe)->run({&*x, 1}, outputs).is_ok());
    std::vector<float> got = outputs[0].to_f32();
    ASSERT_EQ(got.size(), expected.size());
    double max_diff = 0;
    for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, double{std::fabs(got[i] - expected[i])});
    EXPECT_LE(max_diff, 1e-4) << name << " backend";
  }
}

}  // namespace
}  // namespace upres::models
