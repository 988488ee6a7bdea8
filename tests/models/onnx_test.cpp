// ONNX model files (models/onnx/): small PyTorch upscalers exported with torch.onnx.export, fp32
// and fp16, against PyTorch on every built backend (among them the opset-13 math net: decomposed
// LayerNorm, Reduce*, Sqrt/Exp/Erf/Pow, run-time Div/Sub/Max/Min); the hand-made DepthToSpace
// DCR/SpaceToDepth and rank-0 norm graphs; and hostile files, each refused with an error naming the file and the problem.
// Fixtures: tests/reference/onnx_torch_fixtures.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend_registry.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/onnx/onnx_upscale_model.h"
#include "models/upscale_model.h"
#include "weights/onnx_reader.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("onnx_torch_fixtures.py", "onnx_fixtures", "");
  return *f;
}

class OnnxModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxModelTest, MatchesPyTorchOnEveryBackend) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks case " << GetParam();
  auto model = load_upscale_model(fixtures().dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const auto in_shape = c->at("input_shape").get<engine::Shape>();
  const auto out_shape = c->at("output_shape").get<engine::Shape>();
  EXPECT_EQ((*model)->architecture(), "ONNX graph");
  EXPECT_EQ((*model)->scale(), out_shape[2] / in_shape[2]);
  EXPECT_EQ((*model)->size_multiple(), c->at("size_multiple").get<int>());
  auto input = testing::read_f32_tensor(fixtures().dir() / c->at("input").get<std::string>(), in_shape);
  auto expected = testing::read_f32_tensor(fixtures().dir() / c->at("output").get<std::string>(), out_shape);
  ASSERT_TRUE(input.is_ok() && expected.is_ok()) << input.status().to_string() << expected.status().to_string();
  for (const std::string& backend : engine::backend_names()) {
    SCOPED_TRACE("backend " + backend);
    auto result = testing::run_model(**model, backend, *input);
    ASSERT_TRUE(result.is_ok()) << result.status().to_string();
    const double diff = testing::max_abs_diff(result->output, *expected);
    std::cout << "[ MAX DIFF ] " << GetParam() << " on " << backend << ": " << diff << "\n";
    EXPECT_LE(diff, c->at("tolerance").get<double>());
  }
}

INSTANTIATE_TEST_SUITE_P(TorchExports, OnnxModelTest,
                         ::testing::Values("compact", "compact_fp16", "attention", "attention_fp16", "layout",
                                           "layout_fp16", "pool", "pool_fp16", "math", "math_fp16", "shuffles",
                                           "scalar_norm"));

class OnnxHostileFileTest : public OnnxModelTest {};

TEST_F(OnnxHostileFileTest, EveryHostileFileGivesAClearError) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  ASSERT_GE(fixtures().manifest().at("hostile").size(), 10u);
  for (const json& entry : fixtures().manifest().at("hostile")) {
    const std::string file = entry[0].get<std::string>(), phrase = entry[1].get<std::string>();
    SCOPED_TRACE(file);
    auto model = load_upscale_model(fixtures().dir() / file);
    ASSERT_FALSE(model.is_ok());
    const std::string message = model.status().to_string();
    std::cout << "[ ERROR ] " << message << "\n";
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find(phrase), std::string::npos) << message;
  }
}

TEST(OnnxReaderTest, RefusesBytesThatAreNotAModel) {
  auto empty = weights::read_onnx(*weights::ByteSource::from_bytes({}, "empty.onnx"));
  ASSERT_FALSE(empty.is_ok());
  EXPECT_NE(empty.status().message().find("empty.onnx"), std::string::npos);
  auto junk = weights::read_onnx(*weights::ByteSource::from_bytes({0xff, 0xff, 0xff, 0x0f, 0x12}, "junk.onnx"));
  ASSERT_FALSE(junk.is_ok());
  EXPECT_NE(junk.status().message().find("junk.onnx"), std::string::npos);
}

}  // namespace
}  // namespace upres::models
