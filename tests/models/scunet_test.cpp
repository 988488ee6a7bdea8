// SCUNet against our PyTorch implementation (tests/reference/scunet_torch.py) with random weights:
// three configurations (1- and 2-block stages, empty stages, the published head_dim 32), inputs that
// are not multiples of 64 (replicate padding and crop inside the graph), plain, params_ema and
// state_dict + module. files, on every backend. Also detection (not DRUNet's or KAIR UNet's keys),
// hostile files, and bytes_per_input_pixel against the planned arena.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend_registry.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/architecture_registry.h"
#include "models/scunet/scunet.h"
#include "synthetic_weights.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;

engine::Shape shape_of(const json& j) { return j.at("shape").get<engine::Shape>(); }

Result<std::shared_ptr<const SCUNet>> load_scunet(const fs::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  return SCUNet::from_weights(file.weights);
}

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("scunet_torch.py", "scunet_fixtures", "");
  return *f;
}

class ScunetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScunetTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks case " << GetParam();
  auto model = load_scunet(fixtures().dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->config().dim, c->at("dim").get<int64_t>());
  const std::vector<int> config = c->at("config").get<std::vector<int>>();
  EXPECT_EQ(std::vector<int>((*model)->config().blocks.begin(), (*model)->config().blocks.end()), config);
  EXPECT_EQ((*model)->scale(), 1);
  for (const json& run : c->at("runs")) {
    auto input = testing::read_f32_tensor(fixtures().dir() / run["input"]["file"].get<std::string>(), shape_of(run["input"]));
    auto expected =
        testing::read_f32_tensor(fixtures().dir() / run["expected"]["file"].get<std::string>(), shape_of(run["expected"]));
    ASSERT_TRUE(input.is_ok() && expected.is_ok()) << input.status().to_string() << expected.status().to_string();
    for (const std::string& backend : engine::backend_names()) {
      SCOPED_TRACE("backend " + backend + ", input " + run["input"]["file"].get<std::string>());
      const auto start = std::chrono::steady_clock::now();
      auto result = testing::run_model(**model, backend, *input);
      const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
      ASSERT_TRUE(result.is_ok()) << result.status().to_string();
      const double diff = testing::max_abs_diff(result->output, *expected);
      std::cout << "[ MAX DIFF ] " << run["input"]["file"].get<std::string>() << " on " << backend << ": " << diff
                << " (build, prepare and run " << took.count() << " ms)\n";
      EXPECT_LE(diff, kTolerance);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, ScunetTest,
                         ::testing::Values("scunet_d16_c1", "scunet_d8_c2", "scunet_d16_head32"));

TEST_F(ScunetTest, LoadUpscaleModelDetectsEveryKeyLayout) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  for (const json& c : fixtures().manifest().at("cases")) {
    auto model = load_upscale_model(fixtures().dir() / c.at("file").get<std::string>());
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->architecture(), "SCUNet");
    EXPECT_EQ((*model)->scale(), 1);
  }
}

// Each hostile file: the error code and words the message must hold.
struct HostileCase {
  const char* name;
  StatusCode code;
  const char* words;
};

TEST_F(ScunetTest, HostileFilesGiveClearErrors) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const HostileCase cases[] = {
      {"bad_window", StatusCode::kCorrupt, "m_down1.0.trans_block.msa.relative_position_params"},
      {"missing_key", StatusCode::kNotFound, "m_up2.1.conv1_2.weight"},
      {"bad_shape", StatusCode::kCorrupt, "m_body.0.conv_block.0.weight"},
      {"truncated", StatusCode::kCorrupt, ""},
  };
  for (const HostileCase& h : cases) {
    SCOPED_TRACE(h.name);
    const std::string file = fixtures().manifest().at("hostile").at(h.name).get<std::string>();
    auto model = load_upscale_model(fixtures().dir() / file);
    ASSERT_FALSE(model.is_ok());
    std::cout << "[ ERROR    ] " << model.status().to_string() << "\n";
    if (std::string(h.name) != "truncated") {
      EXPECT_EQ(model.status().code(), h.code);
    }
    EXPECT_NE(model.status().message().find(file), std::string::npos) << model.status().to_string();
    EXPECT_NE(model.status().message().find(h.words), std::string::npos) << model.status().to_string();
  }
}

// --- synthetic state dicts (no PyTorch needed) --------------------------------------------------

void add_block(testing::Shapes& s, const std::string& key, int64_t half, int64_t heads) {
  const int64_t dim = 2 * half;
  s.push_back({key + ".conv1_1.weight", {dim, dim, 1, 1}});
  s.push_back({key + ".conv1_1.bias", {dim}});
  s.push_back({key + ".conv1_2.weight", {dim, dim, 1, 1}});
  s.push_back({key + ".conv1_2.bias", {dim}});
  s.push_back({key + ".conv_block.0.weight", {half, half, 3, 3}});
  s.push_back({key + ".conv_block.2.weight", {half, half, 3, 3}});
  const std::string t = key + ".trans_block.";
  for (const char* ln : {"ln1", "ln2"}) {
    s.push_back({t + ln + ".weight", {half}});
    s.push_back({t + ln + ".bias", {half}});
  }
  s.push_back({t + "msa.embedding_layer.weight", {3 * half, half}});
  s.push_back({t + "msa.embedding_layer.bias", {3 * half}});
  s.push_back({t + "msa.relative_position_params", {heads, 15, 15}});
  s.push_back({t + "msa.linear.weight", {half, half}});
  s.push_back({t + "msa.linear.bias", {half}});
  s.push_back({t + "mlp.0.weight", {4 * half, half}});
  s.push_back({t + "mlp.0.bias", {4 * half}});
  s.push_back({t + "mlp.2.weight", {half, 4 * half}});
  s.push_back({t + "mlp.2.bias", {half}});
}

// The published layout: head_dim 32, blocks[i] in stage i, `in` channels.
testing::Shapes scunet_shapes(int64_t dim, std::array<int, 7> blocks, int64_t in = 3) {
  testing::Shapes s;
  s.push_back({"m_head.0.weight", {dim, in, 3, 3}});
  const int levels[7] = {0, 1, 2, 3, 2, 1, 0};
  for (size_t i = 0; i < 7; ++i) {
    const std::string prefix = SCUNet::kStages[i];
    const int64_t channels = dim << levels[i], half = channels / 2;
    const int first = i > 3 ? 1 : 0;
    if (i > 3) s.push_back({prefix + ".0.weight", {2 * channels, channels, 2, 2}});
    for (int b = 0; b < blocks[i]; ++b) add_block(s, prefix + "." + std::to_string(first + b), half, half / 32);
    if (i < 3) s.push_back({prefix + "." + std::to_string(blocks[i]) + ".weight", {2 * channels, channels, 2, 2}});
  }
  s.push_back({"m_tail.0.weight", {in, dim, 3, 3}});
  return s;
}

TEST(ScunetDetection, PublishedLayoutIsDetected) {
  const weights::WeightMap map = testing::make_weights(scunet_shapes(64, {4, 4, 4, 4, 4, 4, 4}));
  const nn::StateDict state(map);
  auto entry = detect_architecture(state);
  ASSERT_TRUE(entry.is_ok()) << entry.status().to_string();
  EXPECT_EQ((*entry)->name, "SCUNet");
  auto config = SCUNet::Config::from_weights(state);
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  EXPECT_EQ(config->dim, 64);
  for (int blocks : config->blocks) EXPECT_EQ(blocks, 4);
}

TEST(ScunetDetection, OtherKairNetworksAreNotTaken) {
  // DRUNet (m_head.weight, m_body.0.res.0.weight) and KAIR's plain UNet (m_head.0 / m_tail.0 but
  // no transformer blocks).
  testing::Shapes drunet = {{"m_head.weight", {64, 4, 3, 3}}, {"m_body.0.res.0.weight", {512, 512, 3, 3}},
                            {"m_tail.weight", {3, 64, 3, 3}}};
  testing::Shapes unet = {{"m_head.0.weight", {64, 3, 3, 3}}, {"m_down1.0.res.0.weight", {64, 64, 3, 3}},
                          {"m_tail.0.weight", {3, 64, 3, 3}}};
  const weights::WeightMap drunet_map = testing::make_weights(drunet), unet_map = testing::make_weights(unet);
  EXPECT_FALSE(SCUNet::matches(nn::StateDict(drunet_map)));
  EXPECT_FALSE(SCUNet::matches(nn::StateDict(unet_map)));
  auto entry = detect_architecture(nn::StateDict(drunet_map));
  ASSERT_FALSE(entry.is_ok());
  EXPECT_NE(entry.status().message().find("DRUNet"), std::string::npos) << entry.status().to_string();
}

TEST(ScunetDetection, GreyModelIsUnsupported) {
  const weights::WeightMap map = testing::make_weights(scunet_shapes(64, {1, 1, 1, 1, 1, 1, 1}, 1));
  auto net = SCUNet::from_weights(map);
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kUnsupported) << net.status().to_string();
}

TEST(ScunetDetection, HeadsThatDoNotSplitTheChannelsAreCorrupt) {
  testing::Shapes shapes = scunet_shapes(64, {1, 1, 1, 1, 1, 1, 1});
  for (auto& [name, shape] : shapes) {
    if (name == "m_body.0.trans_block.msa.relative_position_params") shape = {3, 15, 15};
  }
  const weights::WeightMap map = testing::make_weights(shapes);
  auto net = SCUNet::from_weights(map);
  ASSERT_FALSE(net.is_ok());
  EXPECT_EQ(net.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(net.status().message().find("m_body.0.trans_block.msa.relative_position_params"), std::string::npos)
      << net.status().to_string();
}

// The estimate (plus the fixed executable bytes) covers the arena the backends plan for the
// published width (a 'W' and an 'SW' block at full resolution, where the peak is), and wastes at
// most a factor of two per pixel.
TEST(ScunetMemory, EstimateCoversThePlannedArena) {
  const weights::WeightMap map = testing::make_weights(scunet_shapes(64, {2, 1, 1, 1, 1, 1, 2}));
  auto model = SCUNet::from_weights(map);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  testing::expect_estimate_covers_arena(**model, 128, "SCUNet dim 64");
}

}  // namespace
}  // namespace upres::models

