// Every fill leaves the original's samples exactly as they were, for every channel layout and
// for 8-bit and 16-bit sample grids; the simple fills write what they promise.
#include <gtest/gtest.h>

#include <cstring>

#include "outpaint/classic_fills.h"
#include "outpaint/outpaint.h"

namespace upres::outpaint {
namespace {

// A picture of `channels` channels whose samples lie on the 8-bit or 16-bit grid.
image::Image test_picture(int width, int height, int channels, int bits) {
  image::Image picture(width, height, channels);
  picture.metadata.bits_per_sample = bits;
  const int max_value = bits == 16 ? 65535 : 255;
  uint32_t state = 12345;
  for (size_t i = 0; i < picture.sample_count(); ++i) {
    state = state * 1664525u + 1013904223u;
    picture.pixels()[i] = static_cast<float>((state >> 8) % (max_value + 1)) / max_value;
  }
  return picture;
}

CanvasPlan expand(int w, int h, const std::string& sides) {
  CanvasRequest request;
  EXPECT_TRUE(parse_expand(sides, request).is_ok());
  return plan_canvas(w, h, request).value();
}

bool original_is_bit_identical(const image::Image& input, const image::Image& out, const CanvasPlan& plan) {
  for (int y = 0; y < input.height(); ++y)
    if (std::memcmp(input.pixels() + static_cast<size_t>(y) * input.width() * input.channels(),
                    out.pixels() + (static_cast<size_t>(plan.original.y + y) * out.width() + plan.original.x) * out.channels(),
                    sizeof(float) * input.width() * input.channels()) != 0)
      return false;
  return true;
}

TEST(Fills, OriginalRegionIsBitIdenticalForEveryFillLayoutAndDepth) {
  for (FillEngine engine : {FillEngine::kPatchMatch, FillEngine::kEdge, FillEngine::kMirror, FillEngine::kColor})
    for (int channels : {1, 2, 3, 4})
      for (int bits : {8, 16}) {
        const image::Image input = test_picture(37, 29, channels, bits);
        const CanvasPlan plan = expand(37, 29, "9,4,6,11");
        FillSettings settings;
        settings.engine = engine;
        auto fill = make_builtin_fill(settings);
        ASSERT_TRUE(fill.is_ok());
        auto out = outpaint(input, plan, **fill);
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ(out->width(), 52);
        EXPECT_EQ(out->height(), 44);
        EXPECT_EQ(out->channels(), channels);
        EXPECT_EQ(out->metadata.bits_per_sample, bits);
        EXPECT_TRUE(original_is_bit_identical(input, *out, plan))
            << fill_engine_name(engine) << " channels " << channels << " bits " << bits;
        for (size_t i = 0; i < out->sample_count(); ++i) {
          ASSERT_GE(out->pixels()[i], 0.0f);
          ASSERT_LE(out->pixels()[i], 1.0f);
        }
      }
}

TEST(Fills, EdgeMirrorAndColorWriteWhatTheyPromise) {
  const image::Image input = test_picture(5, 4, 3, 8);
  const CanvasPlan plan = expand(5, 4, "3,2,6,1");
  const Rect o = plan.original;
  auto edge = outpaint(input, plan, EdgeFill()).value();
  auto mirror = outpaint(input, plan, MirrorFill()).value();
  for (int y = 0; y < plan.height; ++y)
    for (int x = 0; x < plan.width; ++x)
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(edge.at(x, y, c), input.at(std::clamp(x - o.x, 0, 4), std::clamp(y - o.y, 0, 3), c));
        EXPECT_EQ(mirror.at(x, y, c),
                  input.at(reflect_coordinate(x - o.x, 0, 5), reflect_coordinate(y - o.y, 0, 4), c));
      }
  EXPECT_EQ(reflect_coordinate(-1, 0, 5), 1);
  EXPECT_EQ(reflect_coordinate(5, 0, 5), 3);
  EXPECT_EQ(reflect_coordinate(9, 0, 5), 1);
  auto color = outpaint(input, plan, ColorFill(std::array<float, 4>{1.0f, 0.5f, 0.0f, 1.0f}, 0)).value();
  EXPECT_EQ(color.at(0, 0, 0), 1.0f);
  EXPECT_EQ(color.at(plan.width - 1, 3, 1), 0.5f);
  // With a blend, the colour fades in from the edge: next to the original it is the edge pixel.
  auto faded = outpaint(input, plan, ColorFill(std::array<float, 4>{1.0f, 0.5f, 0.0f, 1.0f}, 4)).value();
  EXPECT_EQ(faded.at(o.x - 1, o.y + 1, 2), input.at(0, 1, 2));
  EXPECT_NEAR(faded.at(o.right() + 5, o.y, 0), 1.0f, 1e-6);
}

TEST(Fills, LamaIsNotAvailableYet) {
  FillSettings settings;
  settings.engine = FillEngine::kLama;
  auto fill = make_builtin_fill(settings);
  ASSERT_FALSE(fill.is_ok());
  EXPECT_EQ(fill.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(fill.status().message().find("not available yet"), std::string::npos);
  EXPECT_EQ(parse_fill_engine("lama").value(), FillEngine::kLama);
  EXPECT_FALSE(parse_fill_engine("telea").is_ok());
  EXPECT_NE(parse_fill_engine("telea").status().message().find("telea"), std::string::npos);
}

TEST(Fills, UnchangedPlanReturnsThePicture) {
  const image::Image input = test_picture(8, 6, 3, 8);
  CanvasRequest request;
  ASSERT_TRUE(parse_size("8x6", request).is_ok());
  auto out = outpaint(input, plan_canvas(8, 6, request).value(), EdgeFill());
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(std::memcmp(out->pixels(), input.pixels(), input.sample_count() * sizeof(float)), 0);
}

}  // namespace
}  // namespace upres::outpaint
