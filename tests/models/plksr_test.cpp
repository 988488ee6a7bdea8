// PLKSR and RealPLKSR (src/models/plksr/) against tests/reference/plksr_torch.py: PLKSR with CCM,
// ICCM and DCCM mixers, PLK (partial and whole-width), SparsePLK and RectSparsePLK large kernels,
// with and without EA, x2/x3/x4; RealPLKSR (Mish) with group norm and with layer norm; from zip and
// params_ema legacy .pth files, on every backend; and files that cannot run or do not fit.
#include <gtest/gtest.h>

#include <string>

#include "family_fixtures.h"
#include "models/architecture_registry.h"
#include "models/plksr/plksr.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("plksr_torch.py", "plksr_fixtures", "");
  return *f;
}

class PLKSRTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PLKSRTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  fixtures().expect_case_files_match(GetParam(), kTolerance, [](const UpscaleModel& model, const nlohmann::json& c) {
    EXPECT_EQ(model.architecture(), c.at("architecture").get<std::string>());
    const auto& config = dynamic_cast<const PLKSR&>(model).config();
    EXPECT_EQ(config.dim, c.at("dim").get<int64_t>());
    EXPECT_EQ(config.n_blocks, c.at("n_blocks").get<int>());
  });
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, PLKSRTest,
                         ::testing::Values("plksr_ccm_x2", "plksr_dccm_x4_noea", "plksr_iccm_sparse_x3", "plksr_rect_x2",
                                           "realplksr_gn_x4", "realplksr_ln_x2"));

// feats.0, one RealPLKSR block (DCCM, PLK conv on pdim channels, EA, refine, group norm), the
// dropout's index and the last conv to 3 * out_scale channels.
testing::Shapes real_plksr(int64_t dim, int64_t pdim, int64_t out_channels) {
  testing::Shapes s = {{"feats.0.weight", {dim, 3, 3, 3}}, {"feats.0.bias", {dim}},
                       {"feats.1.channel_mixer.0.weight", {2 * dim, dim, 3, 3}}, {"feats.1.channel_mixer.0.bias", {2 * dim}},
                       {"feats.1.channel_mixer.2.weight", {dim, 2 * dim, 3, 3}}, {"feats.1.channel_mixer.2.bias", {dim}},
                       {"feats.1.lk.conv.weight", {pdim, pdim, 5, 5}}, {"feats.1.lk.conv.bias", {pdim}},
                       {"feats.1.attn.f.0.weight", {dim, dim, 3, 3}}, {"feats.1.attn.f.0.bias", {dim}},
                       {"feats.1.refine.weight", {dim, dim, 1, 1}}, {"feats.1.refine.bias", {dim}},
                       {"feats.1.norm.weight", {dim}}, {"feats.1.norm.bias", {dim}},
                       {"feats.3.weight", {out_channels, dim, 3, 3}}, {"feats.3.bias", {out_channels}}};
  return s;
}

// The same shapes as PLKSR (CCM mixer, no norm): channe_mixer, the last conv at feats.2.
testing::Shapes plksr(int64_t dim, int64_t pdim, int64_t out_channels) {
  testing::Shapes s;
  for (auto [key, shape] : real_plksr(dim, pdim, out_channels)) {
    if (key.find(".norm.") != std::string::npos) continue;
    if (key.rfind("feats.1.channel_mixer", 0) == 0) key.replace(0, 21, "feats.1.channe_mixer");
    if (key == "feats.1.channe_mixer.2.weight") shape = {dim, 2 * dim, 1, 1};
    if (key.rfind("feats.3.", 0) == 0) key.replace(0, 8, "feats.2.");
    s.push_back({key, shape});
  }
  return s;
}

// bytes_per_input_pixel() against the arena each backend plans for a side x side input: it covers
// every backend's (tiles are sized from it) without overstating the largest more than threefold. At
// 320 px the cpu backend's AVX-512 Winograd mixer convolutions (oneDNN's, 64 -> 128 -> 64 channels)
// keep the whole transformed input and output in their scratchpad, in the arena: 2.8 KB per pixel,
// where 256 and 512 px need 1.1 KB, the AVX2 cap 1.0 KB and the reference backend 1 KB; the
// estimate covers the largest (bench/transformer_peak_memory.py found tiles sized for a 256M budget
// planning 277 MiB).
TEST(PLKSRMemory, EstimateCoversTheArena) {
  for (const testing::Shapes& shapes : {plksr(64, 16, 48), real_plksr(64, 16, 48)}) {
    auto model = load_torch_upscale_model(testing::make_weights(shapes), "plksr64.pth");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    for (const int side : {64, 320}) {
      testing::expect_estimate_covers_arena(
          **model, side, (*model)->architecture(),
          {.times = 3, .against = testing::EstimateBound::Against::kLargestArena});
    }
  }
}

TEST(PLKSRBadFiles, WhatCannotRunIsNamed) {
  {
    auto model = load_torch_upscale_model(testing::make_weights(real_plksr(8, 2, 12)), "ok.pth");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->architecture(), "RealPLKSR");
    EXPECT_EQ((*model)->scale(), 2);
  }
  struct Case {
    testing::Shapes shapes;
    std::string message;
  };
  testing::Shapes dysample = real_plksr(8, 2, 12);
  dysample.push_back({"to_img.init_pos", {2, 4, 1, 1}});
  testing::Shapes missing = real_plksr(8, 2, 12);
  std::erase_if(missing, [](const auto& e) { return e.first == "feats.1.attn.f.0.bias"; });
  const Case cases[] = {
      {real_plksr(8, 2, 13), "not 3 * scale^2"},
      {real_plksr(8, 9, 12), "convolves 9 of 8 channels"},
      {real_plksr(6, 2, 12), "4 norm groups"},
      {dysample, "DySample"},
      {missing, "feats.1.attn.f.0.bias"},
  };
  for (const Case& c : cases) {
    auto model = load_torch_upscale_model(testing::make_weights(c.shapes), "bad_plksr.pth");
    ASSERT_FALSE(model.is_ok()) << c.message;
    EXPECT_NE(model.status().message().find("bad_plksr.pth"), std::string::npos) << model.status().to_string();
    EXPECT_NE(model.status().message().find(c.message), std::string::npos) << model.status().to_string();
  }
}

}  // namespace
}  // namespace upres::models
