// CodeFormer against a random-weight PyTorch port (tests/reference/codeformer_torch.py) at
// reduced widths and the released depth: configuration read from the keys, fusion points at the
// original's block indices, the same codebook indices and output within 1e-4 of PyTorch (fp64) at
// w = 0 and w = 0.7 on the cpu backend, the same result from cached executables, missing keys
// named.
#include "models/codeformer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/backend_registry.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/codeformer_restorer.h"
#include "synthetic_weights.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Differences on the [0, 1] output against PyTorch run in fp64 (the script's choice: its fp32
// rounding over these 60 convolutions reaches 9e-5, upres's measured 1.5e-5 max, 5e-7 mean). The
// mean catches small systematic errors that the max would let through.
constexpr double kMaxTolerance = 1e-4;
constexpr double kMeanTolerance = 2e-6;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("codeformer_torch.py", "codeformer_fixtures", "");
  return *f;
}

// Raw int32 codes written by the script.
std::vector<int32_t> read_codes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<int32_t> codes;
  int32_t code = 0;
  while (in.read(reinterpret_cast<char*>(&code), sizeof code)) codes.push_back(code);
  return codes;
}

double mean_abs_diff(const engine::Tensor& a, const engine::Tensor& b) {
  const std::vector<float> x = a.to_f32();
  const std::vector<float> y = b.to_f32();
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += std::fabs(static_cast<double>(x[i]) - y[i]);
  return x.empty() ? 0.0 : sum / static_cast<double>(x.size());
}

// A copy of `source` without the entry `missing`, over the same bytes.
weights::WeightMap without_key(const weights::WeightMap& source, const std::string& missing) {
  weights::WeightMap map;
  for (const auto& s : source.sources()) map.add_source(s);
  for (const weights::WeightEntry& entry : source.entries()) {
    if (entry.name != missing) {
      EXPECT_TRUE(map.add_entry(entry).is_ok()) << entry.name;
    }
  }
  return map;
}

class CodeFormerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  }

  static Result<weights::WeightFile> read_fixture() {
    return weights::read_weight_file(fixtures().dir() / "codeformer.pth");
  }
};

TEST_F(CodeFormerTest, ReadsConfigurationAndFusionPointsFromKeys) {
  auto file = read_fixture();
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  const nn::StateDict weights(file->weights);
  EXPECT_TRUE(looks_like_codeformer(weights));
  auto net = CodeFormer::from_weights(weights);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const json& cfg = fixtures().manifest().at("config");
  const CodeFormer::Config& c = (*net)->config();
  EXPECT_EQ(c.nf, cfg.at("nf").get<int64_t>());
  EXPECT_EQ(c.emb_dim, cfg.at("emb_dim").get<int64_t>());
  EXPECT_EQ(c.codebook_size, cfg.at("codebook").get<int64_t>());
  EXPECT_EQ(c.dim_embd, cfg.at("dim_embd").get<int64_t>());
  EXPECT_EQ(c.n_layers, cfg.at("layers").get<int>());
  EXPECT_EQ(c.latent_side, 16);
  EXPECT_EQ(c.image_size, 512);
  EXPECT_EQ(c.connect_sizes, (std::vector<int64_t>{32, 64, 128, 256}));
  // codeformer_arch.py: fuse_encoder_block and fuse_generator_block of the released model.
  EXPECT_EQ((*net)->encoder_taps(),
            (std::map<int, int64_t>{{5, 256}, {8, 128}, {11, 64}, {14, 32}}));
  EXPECT_EQ((*net)->generator_taps(),
            (std::map<int, int64_t>{{9, 32}, {12, 64}, {15, 128}, {18, 256}}));
}

TEST_F(CodeFormerTest, MatchesPyTorchAtEachFidelityWeight) {
  auto file = read_fixture();
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  auto loaded = load_codeformer(std::move(file).value(), "codeformer.pth");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  auto* restorer = dynamic_cast<CodeFormerRestorer*>(loaded->get());
  ASSERT_NE(restorer, nullptr);
  EXPECT_EQ(restorer->architecture(), "CodeFormer");
  ASSERT_EQ(restorer->face_size(), 512);
  const engine::Shape shape{1, 3, 512, 512};
  auto input = testing::read_f32_tensor(fixtures().dir() / "input.f32", shape);
  ASSERT_TRUE(input.is_ok()) << input.status().to_string();

  const std::vector<int32_t> codes = read_codes(fixtures().dir() / "codes.i32");
  std::map<std::string, engine::Tensor> first;  // by tag
  for (const json& c : fixtures().manifest().at("cases")) {
    const std::string tag = c.at("tag");
    SCOPED_TRACE("w = " + std::to_string(c.at("w").get<double>()));
    FaceRestoreOptions options;
    options.fidelity_weight = c.at("w").get<float>();
    options.backend = "cpu";
    auto out = restorer->restore(*input, options);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    first.emplace(tag, *out);
    EXPECT_EQ(restorer->last_codes(), codes)
        << "smallest top-1/top-2 logit gap in PyTorch: " << fixtures().manifest().at("min_top2_gap");
    auto expected = testing::read_f32_tensor(fixtures().dir() / ("output_" + tag + ".f32"), shape);
    ASSERT_TRUE(expected.is_ok()) << expected.status().to_string();
    const double diff = testing::max_abs_diff(*out, *expected);
    const double mean = mean_abs_diff(*out, *expected);
    std::cout << "[ MAX DIFF ] CodeFormer " << tag << " on cpu: " << diff << " (mean " << mean
              << ")\n";
    EXPECT_LE(diff, kMaxTolerance);
    EXPECT_LE(mean, kMeanTolerance);
  }
  // Again at the first weight: the encoder executable is reused and the generator recompiled in
  // its other form; the result must not change.
  const json& again = fixtures().manifest().at("cases").at(0);
  FaceRestoreOptions options;
  options.fidelity_weight = again.at("w").get<float>();
  options.backend = "cpu";
  auto out = restorer->restore(*input, options);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(testing::max_abs_diff(*out, first.at(again.at("tag").get<std::string>())), 0.0);
}

TEST_F(CodeFormerTest, FidelityWeightChangesTheOutput) {
  auto w0 = testing::read_f32_tensor(fixtures().dir() / "output_w000.f32", {1, 3, 512, 512});
  auto w7 = testing::read_f32_tensor(fixtures().dir() / "output_w070.f32", {1, 3, 512, 512});
  ASSERT_TRUE(w0.is_ok() && w7.is_ok());
  EXPECT_GT(testing::max_abs_diff(*w0, *w7), 1e-2)
      << "the fixture does not exercise the fusion blocks";
}

TEST_F(CodeFormerTest, MissingKeyIsNamed) {
  auto file = read_fixture();
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  for (const std::string key :
       {"generator.blocks.13.conv2.weight", "position_emb", "quantize.embedding.weight",
        "ft_layers.1.self_attn.in_proj_bias", "fuse_convs_dict.64.shift.2.bias"}) {
    weights::WeightFile partial{without_key(file->weights, key), std::nullopt};
    auto loaded = load_codeformer(std::move(partial), "partial.pth");
    ASSERT_FALSE(loaded.is_ok()) << key;
    EXPECT_NE(loaded.status().message().find("'" + key + "'"), std::string::npos)
        << loaded.status().to_string();
    EXPECT_NE(loaded.status().message().find("partial.pth"), std::string::npos)
        << loaded.status().to_string();
  }
}

TEST_F(CodeFormerTest, RejectsWrongShapeAndWeightOutOfRange) {
  auto file = read_fixture();
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  auto loaded = load_codeformer(std::move(file).value(), "codeformer.pth");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  auto small = engine::Tensor::zeros({1, 3, 256, 256});
  auto face = engine::Tensor::zeros({1, 3, 512, 512});
  ASSERT_TRUE(small.is_ok() && face.is_ok());
  FaceRestoreOptions options;
  EXPECT_EQ((*loaded)->restore(*small, options).status().code(), StatusCode::kInvalidArgument);
  for (float w : {-0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    options.fidelity_weight = w;
    auto out = (*loaded)->restore(*face, options);
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << w;
    EXPECT_NE(out.status().message().find("fidelity_weight"), std::string::npos);
  }
}

TEST(CodeFormerDetection, AnRRDBNetIsNotCodeFormer) {
  const weights::WeightMap map = testing::make_weights(testing::basicsr_rrdbnet(16, 8, 1, 2));
  EXPECT_FALSE(looks_like_codeformer(nn::StateDict(map)));
}

}  // namespace
}  // namespace upres::models
