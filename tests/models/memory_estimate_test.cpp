// bytes_per_input_pixel() against the arena a backend actually plans for the model's graph: the
// estimate (plus the fixed kFixedExecutableBytes) must cover the measured arena (tile sizes are
// chosen from it) without wasting more than a factor of two per pixel.
#include <gtest/gtest.h>

#include "model_test_support.h"
#include "models/architecture_registry.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

struct MemoryCase {
  const char* name;
  testing::Shapes shapes;
};

TEST(MemoryEstimate, CoversThePlannedArena) {
  const MemoryCase cases[] = {
      {"RRDBNet 64nf gc32 x4", testing::basicsr_rrdbnet(64, 32, 2, 2)},
      {"RRDBNet 64nf gc32 x2 (unshuffle 2)", testing::basicsr_rrdbnet(64, 32, 2, 2, 12)},
      {"RRDBNet 32nf gc16 x8", testing::basicsr_rrdbnet(32, 16, 1, 3)},
      {"SRVGGNetCompact 64nf x4 prelu", testing::compact(64, 16, 4, true)},
      {"SRVGGNetCompact 64nf x2 prelu", testing::compact(64, 16, 2, true)},
  };
  for (const MemoryCase& c : cases) {
    const weights::WeightMap map = testing::make_weights(c.shapes);
    auto model = load_torch_upscale_model(map, c.name);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    testing::expect_estimate_covers_arena(**model, 64, c.name);
  }
}

}  // namespace
}  // namespace upres::models
