// HAT against the test suite's PyTorch HAT (tests/reference/hat_torch.py) with random weights:
// HAT-S-like x2 (params_ema wrapper), HAT-like x4 with two groups, and a x3 without qkv bias or
// patch norm whose overlapping window is 2.5x the window, at sizes that are and are not multiples
// of the window, on every backend; the constants a graph holds that grow with the tile (made once
// per graph, not once per residual group); and damaged files that must fail with a message naming
// the problem.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/hat/hat.h"
#include "models/upscale_model.h"
#include "weights/weight_file.h"
#include "weights/weight_map.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("hat_torch.py", "hat_fixtures", "");
  return *f;
}

Result<std::shared_ptr<const HAT>> load(const fs::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  return HAT::from_weights(file.weights);
}

// A deeper HAT from a file of one residual group of two blocks (the memory fixture): `groups`
// groups of `blocks` blocks, every unshifted (even) block reading block 0's tensors and every
// shifted (odd) block block 1's, every group group 0's OCAB and conv, so HAT-S's depth can be
// built without a 40 MB fixture.
Result<std::shared_ptr<const HAT>> load_deepened(const fs::path& path, int groups, int blocks) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightMap deep, testing::deepened_weights(path, groups, blocks, "residual_group.blocks."));
  return HAT::from_weights(deep);
}

class HatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HatTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks " << GetParam();
  auto net = load(fixtures().dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const HAT& model = **net;
  EXPECT_EQ(model.architecture(), "HAT");
  EXPECT_EQ(model.config().embed_dim, c->at("embed_dim").get<int64_t>());
  EXPECT_EQ(model.config().depth, c->at("depth").get<std::vector<int>>());
  EXPECT_EQ(model.config().heads, c->at("heads").get<std::vector<int>>());
  EXPECT_EQ(model.config().windows.size, c->at("window").get<int>());
  fixtures().expect_matches(model, *c, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, HatTest, ::testing::Values("hat_s_x2", "hat_x4", "hat_x3_wide_overlap"));

TEST(HatOverlapIndex, WrapsNegativeOffsetsAsPyTorchIndexing) {
  // ws 16, ows 24 (overlap_ratio 0.5): offsets start at 2 - ows; the table has (ws + ows - 1)^2 rows.
  const std::vector<int64_t> index = hat::overlap_position_index(16, 24);
  ASSERT_EQ(index.size(), size_t{256 * 576});
  EXPECT_EQ(index[0], -7 * 39 - 7 + 39 * 39);  // query (0,0), key (0,0): offsets (-7, -7), wrapped
  for (int64_t v : index) ASSERT_TRUE(v >= 0 && v < 39 * 39) << v;
}

// bytes_per_input_pixel() at the released widths against the arena each backend plans: it must
// cover every backend's arena (tiles are sized from it) without overstating the largest more than
// threefold (the cpu backend's upsampler tail holds ~1.7x more under AVX-512's blocked layouts
// than under the AVX2 cap, and the estimate covers the larger). At 48x48 for the one-group
// fixture, and at 96x96 (little fixed-bytes slack) for HAT-S's full depth, whose arena holds the
// OCABs' shared zero paddings from the first OCAB to the last.
TEST_F(HatTest, MemoryEstimateCoversThePlannedArena) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const testing::EstimateBound bound{.times = 3, .against = testing::EstimateBound::Against::kLargestArena};
  fixtures().expect_memory_estimates_cover_arena(load, 48, bound);
  auto deep = load_deepened(fixtures().dir() / "hat_s_widths_x4.pth", 6, 6);
  ASSERT_TRUE(deep.is_ok()) << "HAT-S depth 6x6: " << deep.status().to_string();
  testing::expect_estimate_covers_arena(**deep, 96, "HAT-S depth 6x6", bound);
}

// HAT-S (6 groups of 6 blocks at the released widths, window 16, overlapping window 24) zero-pads
// the k/v map of every group's OCAB by 4 rows and columns before and 12 after (so that every
// 16-row chunk of the 24-row windows can be sliced). The graph builds each padding shape once and
// every OCAB shares it: the constants grow with the tile by the one shifted-window mask and one
// set of paddings, not a set per group. Per-group copies were ~58 MB at 256 px, held twice (graph
// and cpu backend), outside the arena and the estimate.
TEST_F(HatTest, GraphMakesTileSizedConstantsOncePerGraph) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto net = load_deepened(fixtures().dir() / "hat_s_widths_x4.pth", 6, 6);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const HAT& model = **net;
  ASSERT_EQ(model.config().depth, std::vector<int>(6, 6));
  ASSERT_EQ(model.config().windows.size, 16);
  ASSERT_EQ(model.config().windows.overlap_size, 24);
  auto bytes_at = [&](int side) -> int64_t {
    auto graph = model.build_graph(side, side);
    EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
    return graph.is_ok() ? testing::constant_bytes(*graph) : 0;
  };
  constexpr int64_t kSmall = 32, kLarge = 64;  // multiples of the window: no input padding
  // The mask [windows, N, N]: N = 16 x 16 fp32 per pixel.
  const int64_t mask_growth = 4 * 16 * 16 * (kLarge * kLarge - kSmall * kSmall);
  // One set of paddings of a side x side k/v map (2C channels): 16 zero rows of `side` columns and
  // 16 zero columns of side + 16 rows.
  const int64_t kv_channels = 2 * model.config().embed_dim;
  auto padding_bytes = [&](int64_t side) { return 4 * kv_channels * 16 * (side + side + 16); };
  const int64_t bound = mask_growth + padding_bytes(kLarge) - padding_bytes(kSmall);
  const int64_t growth = bytes_at(kLarge) - bytes_at(kSmall);
  std::cout << "[ CONSTANT ] growth " << kSmall << " -> " << kLarge << " px: " << growth
            << " B; one mask and one set of paddings: " << bound << " B\n";
  EXPECT_GT(growth, 0);
  EXPECT_LE(growth, bound);
}

// The registry detects HAT from the keys (through the params_ema wrapper of hat_s_x2.pth), not
// as SwinIR, whose residual_group keys it shares.
TEST_F(HatTest, LoadsThroughTheRegistry) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto model = load_upscale_model(fixtures().dir() / "hat_s_x2.pth");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->architecture(), "HAT");
  EXPECT_EQ((*model)->scale(), 2);
}

TEST_F(HatTest, DamagedFilesFailClearly) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  fixtures().expect_hostile_files_fail(load);
}

}  // namespace
}  // namespace upres::models
