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
  for (int multiple : {1, 8}) {
    for (int length : {256, 264, 304, 512, 1000, 2000}) {
      for (int overlap : {0, 8, 16, 32}) {
        SCOPED_TRACE(testing::Message() << "length " << length << ", overlap " << overlap << ", multiple " << multiple);
        TileAxis axis = plan_tile_axis(length, 128, overlap, multiple);
        const int input = axis.input_length;
        EXPECT_LE(input, 128);
        EXPECT_EQ(input % multiple, 0);
        // The fewest tiles of at most 128 px whose cores are at most 128 - 2 * overlap.
        EXPECT_EQ(static_cast<int>(axis.spans.size()), (length + 127 - 2 * overlap) / (128 - 2 * overlap));
        int covered = 0;
        for (size_t i = 0; i < axis.spans.size(); ++i) {
          const TileSpan& s = axis.spans[i];
          EXPECT_GE(s.input_begin, 0);
          EXPECT_LE(s.input_begin + input, length);
          EXPECT_EQ(s.core_begin, covered);  // cores abut
          covered = s.core_end;
          // Whatever the tile contributes lies at least overlap/2 inside its input on inner sides.
          if (i > 0) EXPECT_GE(s.core_begin - overlap / 2 - s.input_begin, overlap / 2);
          if (i + 1 < axis.spans.size()) EXPECT_GE(s.input_begin + input - (s.core_end + overlap / 2), overlap / 2);
        }
        EXPECT_EQ(covered, length);
      }
    }
  }
}

TEST(TilePlanTest, TilesAreNoLongerThanTheirCoresNeed) {
  // 2048 px in tiles of at most 1024 with 32 px overlap: three cores of 682-683 px, so tiles of
  // 683 + 2 * 32 = 747 px, not 1024 (which computes 3072 px per axis for 2048).
  EXPECT_EQ(plan_tile_axis(2048, 1024, 32).input_length, 747);
  EXPECT_EQ(plan_tile_axis(2048, 1024, 32, 4).input_length, 748);
  EXPECT_EQ(plan_tile_axis(2048, 1024, 32).spans.size(), 3u);
  // Where the cores need the whole tile, it stays whole.
  EXPECT_EQ(plan_tile_axis(1920, 1024, 32).input_length, 1024);
}

TEST(TilePlanTest, WeightsSumToOneAndVanishNearInnerEdges) {
  TileAxis axis = plan_tile_axis(1000, 200, 32);
  for (double position = 0.5; position < 1000; position += 0.25) {
    float sum = 0;
    for (size_t i = 0; i < axis.spans.size(); ++i) {
      float w = axis.weight(static_cast<int>(i), position);
      const TileSpan& s = axis.spans[i];
      const int end = s.input_begin + axis.input_length;
      if (position < s.input_begin + 16 && s.input_begin > 0) EXPECT_EQ(w, 0.0f);
      if (position > end - 16 && end < 1000) EXPECT_EQ(w, 0.0f);
      sum += w;
    }
    ASSERT_NEAR(sum, 1.0f, 1e-6) << position;
  }
}

}  // namespace
}  // namespace upres::pipeline
