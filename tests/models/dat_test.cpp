// DAT against the test suite's PyTorch DAT (tests/reference/dat_torch.py) with random weights:
// DAT-like x2 (params_ema wrapper), DAT-light-like x3 (3conv, pixelshuffledirect) and a x4 without
// qkv bias, at sizes that are and are not multiples of the window, on every backend; the
// constants a graph holds that grow with the tile (made once per graph, not once per block);
// and damaged files that must fail with a message naming the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/graph.h"
#include "family_fixtures.h"
#include "model_test_support.h"
#include "models/dat/dat.h"
#include "models/upscale_model.h"
#include "weights/weight_file.h"
#include "weights/weight_map.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("dat_torch.py", "dat_fixtures", "");
  return *f;
}

Result<std::shared_ptr<const DAT>> load(const fs::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  return DAT::from_weights(file.weights);
}

// A deeper DAT from a file of one residual group of two blocks (the memory fixture): `groups`
// groups of `blocks` blocks, every spatial (even) block reading block 0's tensors and every
// channel (odd) block block 1's, so the released depths can be built without a 45 MB fixture.
Result<std::shared_ptr<const DAT>> load_deepened(const fs::path& path, int groups, int blocks) {
  UPRES_ASSIGN_OR_RETURN(weights::WeightMap deep, testing::deepened_weights(path, groups, blocks, "blocks."));
  return DAT::from_weights(deep);
}

class DatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DatTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks " << GetParam();
  auto net = load(fixtures().dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const DAT& model = **net;
  EXPECT_EQ(model.architecture(), "DAT");
  EXPECT_EQ(model.config().embed_dim, c->at("embed_dim").get<int64_t>());
  EXPECT_EQ(model.config().depth, c->at("depth").get<std::vector<int>>());
  EXPECT_EQ(model.config().heads, c->at("heads").get<std::vector<int>>());
  EXPECT_EQ(model.config().split[0], c->at("split")[0].get<int>());
  EXPECT_EQ(model.config().split[1], c->at("split")[1].get<int>());
  fixtures().expect_matches(model, *c, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, DatTest, ::testing::Values("dat_x2", "dat_light_x3", "dat_x4_nobias"));

// The registry detects DAT from the keys (through the params_ema wrapper of dat_x2.pth).
TEST_F(DatTest, LoadsThroughTheRegistry) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto model = load_upscale_model(fixtures().dir() / "dat_x2.pth");
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->architecture(), "DAT");
  EXPECT_EQ((*model)->scale(), 2);
  EXPECT_GT((*model)->bytes_per_input_pixel(), 0.0);
}

// bytes_per_input_pixel() at the released widths against the arena each backend plans: it must
// cover every backend's arena (tiles are sized from it) without overstating the largest more than
// threefold (the cpu backend's upsampler tail holds ~1.7x more under AVX-512's blocked layouts
// than under the AVX2 cap, and the estimate covers the larger). At 48x48 for the one-group
// fixture, and at 96x96 (little fixed-bytes slack) for DAT-S's full depth, whose arena holds the
// two shifted-window masks from the first shifted block to the last.
TEST_F(DatTest, MemoryEstimateCoversThePlannedArena) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const testing::EstimateBound bound{.times = 3, .against = testing::EstimateBound::Against::kLargestArena};
  fixtures().expect_memory_estimates_cover_arena(load, 48, bound);
  auto deep = load_deepened(fixtures().dir() / "dat_s_widths_x4.pth", 6, 6);
  ASSERT_TRUE(deep.is_ok()) << "DAT-S depth 6x6: " << deep.status().to_string();
  testing::expect_estimate_covers_arena(**deep, 96, "DAT-S depth 6x6", bound);
}

// DAT-S (6 groups of 6 blocks at the released widths: 9 shifted blocks of two window branches,
// 18 spatial blocks) builds each shifted-window mask ([windows, 1, N, N], N floats per pixel) and
// each zero padding of the qkv map once per graph, shared by every block that needs it: the
// constants grow with the tile by two masks, not by one pair per shifted block. Per-block copies
// were ~18 KB per tile pixel beyond the arena that neither the arena nor the estimate counted.
TEST_F(DatTest, GraphMakesTileSizedConstantsOncePerGraph) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto net = load_deepened(fixtures().dir() / "dat_s_widths_x4.pth", 6, 6);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  const DAT& model = **net;
  ASSERT_EQ(model.config().depth, std::vector<int>(6, 6));
  const std::array<int, 2> split = model.config().split;
  const int64_t side = std::max(split[0], split[1]);  // maps are padded to multiples of this
  ASSERT_EQ(side, 16);
  auto bytes_at = [&](int height, int width) -> int64_t {
    auto graph = model.build_graph(height, width);
    EXPECT_TRUE(graph.is_ok()) << graph.status().to_string();
    return graph.is_ok() ? testing::constant_bytes(*graph) : 0;
  };
  // Sides that are multiples of the window: the masks are all that grow, N fp32 per pixel each.
  const int64_t mask_bytes_per_px = 4 * int64_t{split[0]} * split[1];
  const int64_t growth = bytes_at(64, 64) - bytes_at(32, 32);
  std::cout << "[ CONSTANT ] growth 32x32 -> 64x64: " << growth << " B, two masks: "
            << 2 * mask_bytes_per_px * (64 * 64 - 32 * 32) << " B\n";
  EXPECT_GT(growth, 0);
  EXPECT_LE(growth, 2 * mask_bytes_per_px * (64 * 64 - 32 * 32));
  // 56x40 pads to 64x48 and has 64x48's masks: the rest is the padding of the qkv map (3C
  // channels), 8 zero columns of 56 rows and 8 zero rows of 48 columns, once.
  const int64_t padding = bytes_at(56, 40) - bytes_at(64, 48);
  const int64_t one_padding = 4 * 3 * model.config().embed_dim * (56 * 8 + 8 * 48);
  std::cout << "[ CONSTANT ] padding 56x40 vs 64x48: " << padding << " B, once: " << one_padding << " B\n";
  EXPECT_GT(padding, 0);
  EXPECT_LE(padding, one_padding);
}

TEST_F(DatTest, DamagedFilesFailClearly) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  fixtures().expect_hostile_files_fail(load);
}

}  // namespace
}  // namespace upres::models
