// The small-picture rule for Winograd convolutions (engine/winograd_payoff.h): the pixels run
// with one prepared graph, summed over its runs, decide.
#include "engine/winograd_payoff.h"

#include <gtest/gtest.h>

namespace upres::engine {
namespace {

TEST(WinogradPayoffTest, NinetySixSquaredPixelsRunIsTheThreshold) {
  EXPECT_FALSE(winograd_repays_transform(0));
  EXPECT_FALSE(winograd_repays_transform(95 * 96));       // one 96x95 picture: just under
  EXPECT_FALSE(winograd_repays_transform(96 * 96 - 1));
  EXPECT_TRUE(winograd_repays_transform(96 * 96));        // one 96x96 picture: just over
  EXPECT_TRUE(winograd_repays_transform(97 * 96));
  EXPECT_TRUE(winograd_repays_transform(int64_t{4096} * 4096));
}

TEST(WinogradPayoffTest, RunsOfOnePreparedGraphAddUp) {
  // Four 48x48 tiles (or TTA's 8 runs of 34x34) run as many pixels as one 96x96 picture.
  EXPECT_TRUE(winograd_repays_transform(int64_t{48} * 48 * 4));
  EXPECT_FALSE(winograd_repays_transform(int64_t{48} * 47 * 4));
  EXPECT_TRUE(winograd_repays_transform(int64_t{34} * 34 * 8));
  EXPECT_FALSE(winograd_repays_transform(int64_t{33} * 34 * 8));
}

}  // namespace
}  // namespace upres::engine
