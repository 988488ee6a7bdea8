// bytes_per_input_pixel() against the arena a backend actually plans for the model's graph: the
// estimate (plus the fixed kFixedExecutableBytes) must cover the measured arena (tile sizes are
// chosen from it) without wasting more than a factor of two per pixel.
#include <gtest/gtest.h>

#include <iostream>

#include "engine/backend_registry.h"
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
  constexpr int kSide = 64;
  for (const MemoryCase& c : cases) {
    const weights::WeightMap map = testing::make_weights(c.shapes);
    auto model = load_torch_upscale_model(map, c.name);
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    auto graph = (*model)->build_graph(kSide, kSide);
    ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
    for (const std::string& name : engine::backend_names()) {
      SCOPED_TRACE(std::string(c.name) + " on " + name);
      auto backend = engine::create_backend(name);
      ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
      auto executable = (*backend)->prepare(*graph, engine::PrepareOptions{});
      ASSERT_TRUE(executable.is_ok()) << executable.status().to_string();
      const double pixels = kSide * kSide;
      const double arena = static_cast<double>((*executable)->arena_bytes());
      const double estimate = (*model)->bytes_per_input_pixel();
      std::cout << "[ MEMORY   ] " << c.name << " on " << name << ": estimate " << estimate
                << " B/px, arena " << arena / pixels << " B/px\n";
      EXPECT_GE(estimate * pixels + UpscaleModel::kFixedExecutableBytes, arena);
      EXPECT_LE(estimate, 2 * arena / pixels);
    }
  }
}

}  // namespace
}  // namespace upres::models
