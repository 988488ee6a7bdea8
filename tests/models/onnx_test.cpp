// ONNX model files (models/onnx/): small PyTorch upscalers exported with torch.onnx.export, fp32
// and fp16, against PyTorch on every built backend; the hand-made DepthToSpace DCR/SpaceToDepth
// graph; and hostile files, each refused with an error naming the file and the problem.
// Fixtures: tests/reference/onnx_torch_fixtures.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend_registry.h"
#include "model_test_support.h"
#include "models/onnx/onnx_upscale_model.h"
#include "models/upscale_model.h"
#include "weights/onnx_reader.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class OnnxModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    auto dir = testing::ensure_fixtures("onnx_torch_fixtures.py", "onnx_fixtures");
    if (!dir.is_ok()) {
      skip_reason_ = new std::string(dir.status().message());
      return;
    }
    dir_ = new fs::path(*dir);
    std::ifstream in(*dir_ / "manifest.json");
    manifest_ = new json(json::parse(in));
  }
  static void TearDownTestSuite() {
    delete manifest_;
    delete dir_;
    delete skip_reason_;
    manifest_ = nullptr;
    dir_ = nullptr;
    skip_reason_ = nullptr;
  }
  static const json* find_case(const std::string& name) {
    for (const json& c : manifest_->at("cases")) {
      if (c.at("name") == name) return &c;
    }
    return nullptr;
  }

  static json* manifest_;
  static fs::path* dir_;
  static std::string* skip_reason_;
};

json* OnnxModelTest::manifest_ = nullptr;
fs::path* OnnxModelTest::dir_ = nullptr;
std::string* OnnxModelTest::skip_reason_ = nullptr;

TEST_P(OnnxModelTest, MatchesPyTorchOnEveryBackend) {
  if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  const json* c = find_case(GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks case " << GetParam();
  auto model = load_upscale_model(*dir_ / c->at("file").get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const auto in_shape = c->at("input_shape").get<engine::Shape>();
  const auto out_shape = c->at("output_shape").get<engine::Shape>();
  EXPECT_EQ((*model)->architecture(), "ONNX graph");
  EXPECT_EQ((*model)->scale(), out_shape[2] / in_shape[2]);
  EXPECT_EQ((*model)->size_multiple(), c->at("size_multiple").get<int>());
  auto input = testing::read_f32_tensor(*dir_ / c->at("input").get<std::string>(), in_shape);
  auto expected = testing::read_f32_tensor(*dir_ / c->at("output").get<std::string>(), out_shape);
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
                                           "layout_fp16", "pool", "pool_fp16", "shuffles"));

class OnnxHostileFileTest : public OnnxModelTest {};

TEST_F(OnnxHostileFileTest, EveryHostileFileGivesAClearError) {
  if (skip_reason_ != nullptr) GTEST_SKIP() << *skip_reason_;
  ASSERT_GE(manifest_->at("hostile").size(), 10u);
  for (const json& entry : manifest_->at("hostile")) {
    const std::string file = entry[0].get<std::string>(), phrase = entry[1].get<std::string>();
    SCOPED_TRACE(file);
    auto model = load_upscale_model(*dir_ / file);
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
