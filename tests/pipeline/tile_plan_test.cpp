#include "pipeline/tile_plan.h"

#include <gtest/gtest.h>

namespace upres::pipeline {
namespace {

TEST(TilePlanTest, SmallImagesAreOneTile) {
  TileAxis axis = plan_tile_axis(100, 256, 16);
  ASSERT_EQ(axis.spans.size(), 1u);
  EXPECT_EQ(axis.input_length, 100);
  EXPECT_EQ(axis.weight(0, 50.5), 1.0f);
}

TEST(TilePlanTest, TilesStayInsideTheImageAndCoverIt) {
  for (int length : {257, 300, 511, 512, 1000, 1999}) {
    for (int overlap : {0, 8, 16, 32}) {
      TileAxis axis = plan_tile_axis(length, 128, overlap);
      EXPECT_EQ(axis.input_length, 128);
      int covered = 0;
      for (size_t i = 0; i < axis.spans.size(); ++i) {
        const TileSpan& s = axis.spans[i];
        EXPECT_GE(s.input_begin, 0);
        EXPECT_LE(s.input_begin + 128, length);
        EXPECT_EQ(s.core_begin, covered);  // cores abut
        covered = s.core_end;
        // Whatever the tile contributes lies at least overlap/2 inside its input on inner sides.
        if (i > 0) EXPECT_GE(s.core_begin - overlap / 2 - s.input_begin, overlap / 2) << length;
        if (i + 1 < axis.spans.size()) EXPECT_GE(s.input_begin + 128 - (s.core_end + overlap / 2), overlap / 2);
      }
      EXPECT_EQ(covered, length);
    }
  }
}

TEST(TilePlanTest, WeightsSumToOneAndVanishNearInnerEdges) {
  TileAxis axis = plan_tile_axis(1000, 200, 32);
  for (double position = 0.5; position < 1000; position += 0.25) {
    float sum = 0;
    for (size_t i = 0; i < axis.spans.size(); ++i) {
      float w = axis.weight(static_cast<int>(i), position);
      const TileSpan& s = axis.spans[i];
      if (position < s.input_begin + 16 && s.input_begin > 0) EXPECT_EQ(w, 0.0f);
      if (position > s.input_begin + 200 - 16 && s.input_begin + 200 < 1000) EXPECT_EQ(w, 0.0f);
      sum += w;
    }
    ASSERT_NEAR(sum, 1.0f, 1e-6) << position;
  }
}

}  // namespace
}  // namespace upres::pipeline
