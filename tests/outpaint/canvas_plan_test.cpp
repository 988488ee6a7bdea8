#include "outpaint/canvas_plan.h"

#include <gtest/gtest.h>

#include <cmath>

namespace upres::outpaint {
namespace {

CanvasPlan plan(int w, int h, const std::string& aspect, unsigned directions = kAllDirections) {
  CanvasRequest request;
  EXPECT_TRUE(parse_aspect(aspect, request).is_ok()) << aspect;
  request.directions = directions;
  auto result = plan_canvas(w, h, request);
  EXPECT_TRUE(result.is_ok()) << w << "x" << h << " " << aspect << ": " << result.status().to_string();
  return result.is_ok() ? *result : CanvasPlan{};
}

void expect_plan(const CanvasPlan& p, int width, int height, Borders added) {
  EXPECT_EQ(p.width, width);
  EXPECT_EQ(p.height, height);
  EXPECT_EQ(p.added().left, added.left);
  EXPECT_EQ(p.added().top, added.top);
  EXPECT_EQ(p.added().right, added.right);
  EXPECT_EQ(p.added().bottom, added.bottom);
  EXPECT_EQ(p.original.width + added.left + added.right, width);
}

TEST(CanvasPlan, AspectGrowsTheShortSideCentred) {
  expect_plan(plan(1024, 768, "16:9"), 1365, 768, {170, 0, 171, 0});
  expect_plan(plan(768, 1024, "9:16"), 768, 1365, {0, 170, 0, 171});
  expect_plan(plan(1920, 1080, "4:3"), 1920, 1440, {0, 180, 0, 180});
  expect_plan(plan(4000, 3000, "16:9"), 5333, 3000, {666, 0, 667, 0});
  expect_plan(plan(2560, 1080, "16:9"), 2560, 1440, {0, 180, 0, 180});
  expect_plan(plan(1000, 1000, "21:9"), 2333, 1000, {666, 0, 667, 0});
  expect_plan(plan(1000, 1000, "2.39:1"), 2390, 1000, {695, 0, 695, 0});
}

TEST(CanvasPlan, OddSizesAreExact) {
  // Every combination of odd/even sides and ratios: the canvas has the ratio to the nearest pixel
  // and the original sits unscaled inside it.
  const char* aspects[] = {"16:9", "9:16", "4:3", "3:4", "21:9", "1:1", "3:2"};
  for (int w : {1, 2, 3, 17, 64, 101, 333})
    for (int h : {1, 2, 5, 31, 48, 99, 250})
      for (const char* aspect : aspects) {
        CanvasRequest request;
        ASSERT_TRUE(parse_aspect(aspect, request).is_ok());
        CanvasPlan p = plan(w, h, aspect);
        const double ratio = request.aspect_width / request.aspect_height;
        EXPECT_GE(p.width, w);
        EXPECT_GE(p.height, h);
        EXPECT_TRUE(p.width == w || p.height == h) << "only one side grows";
        if (p.width > w) {
          EXPECT_EQ(p.width, std::llround(h * ratio));
        }
        if (p.height > h) {
          EXPECT_EQ(p.height, std::llround(w / ratio));
        }
        const Borders a = p.added();
        EXPECT_LE(std::abs(a.left - a.right), 1);
        EXPECT_LE(std::abs(a.top - a.bottom), 1);
        EXPECT_GE(a.right, a.left);
        EXPECT_GE(a.bottom, a.top);
      }
}

TEST(CanvasPlan, DirectionsRestrictWhereGrowthGoes) {
  expect_plan(plan(1024, 768, "16:9", kLeft), 1365, 768, {341, 0, 0, 0});
  expect_plan(plan(1024, 768, "16:9", kRight | kUp), 1365, 768, {0, 0, 341, 0});
  expect_plan(plan(101, 50, "1:1", kDown), 101, 101, {0, 0, 0, 51});
  CanvasRequest request;
  ASSERT_TRUE(parse_aspect("16:9", request).is_ok());
  request.directions = kUp | kDown;
  auto result = plan_canvas(1024, 768, request);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("wider"), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("up,down"), std::string::npos) << result.status().message();
}

TEST(CanvasPlan, SizeAndExpand) {
  CanvasRequest request;
  ASSERT_TRUE(parse_size("3841x2161", request).is_ok());
  auto p = plan_canvas(1001, 999, request);
  ASSERT_TRUE(p.is_ok());
  expect_plan(*p, 3841, 2161, {1420, 581, 1420, 581});
  ASSERT_TRUE(parse_expand("3,0,7,1", request).is_ok());
  p = plan_canvas(9, 5, request);
  ASSERT_TRUE(p.is_ok());
  expect_plan(*p, 19, 6, {3, 0, 7, 1});
  ASSERT_TRUE(parse_expand("5", request).is_ok());
  p = plan_canvas(1, 1, request);
  ASSERT_TRUE(p.is_ok());
  expect_plan(*p, 11, 11, {5, 5, 5, 5});
  ASSERT_TRUE(parse_size("64x48", request).is_ok());
  p = plan_canvas(64, 48, request);
  ASSERT_TRUE(p.is_ok());
  EXPECT_TRUE(p->is_unchanged());
}

TEST(CanvasPlan, BadAsksNameTheProblem) {
  struct Case { std::string what, text, expected; } parse_cases[] = {
      {"aspect", "16x9", "WIDTH:HEIGHT"}, {"aspect", "0:9", "positive"}, {"aspect", "-16:9", "positive"},
      {"aspect", "16:", "16:"},          {"size", "100", "WIDTHxHEIGHT"}, {"size", "0x100", "positive"},
      {"size", "-5x100", "positive"},    {"expand", "1,2,3", "LEFT,TOP,RIGHT,BOTTOM"},
      {"expand", "0,0,0,0", "adds nothing"}, {"expand", "0", "adds nothing"},
      {"expand", "10,-1,10,0", "negative"}, {"expand", "a,b,c,d", "LEFT,TOP"},
      {"directions", "left,sideways", "sideways"},
  };
  for (const Case& c : parse_cases) {
    CanvasRequest request;
    Status status = c.what == "aspect" ? parse_aspect(c.text, request)
                    : c.what == "size" ? parse_size(c.text, request)
                    : c.what == "expand" ? parse_expand(c.text, request) : parse_directions(c.text, request);
    ASSERT_FALSE(status.is_ok()) << c.text;
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << c.text << ": " << status.message();
  }
  CanvasRequest request;
  ASSERT_TRUE(parse_size("800x600", request).is_ok());
  auto shrink = plan_canvas(1024, 768, request);
  ASSERT_FALSE(shrink.is_ok());
  EXPECT_NE(shrink.status().message().find("smaller than the picture (1024x768)"), std::string::npos)
      << shrink.status().message();
  ASSERT_TRUE(parse_size("2000x700", request).is_ok());
  EXPECT_NE(plan_canvas(1024, 768, request).status().message().find("height"), std::string::npos);
  ASSERT_TRUE(parse_size("60000x60000", request).is_ok());
  auto huge = plan_canvas(1024, 768, request);
  ASSERT_FALSE(huge.is_ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(huge.status().message().find("268402689"), std::string::npos) << huge.status().message();
  ASSERT_TRUE(parse_expand("70000,0,0,0", request).is_ok());
  EXPECT_EQ(plan_canvas(10, 10, request).status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(parse_aspect("1000:1", request).is_ok());
  EXPECT_EQ(plan_canvas(1000, 1000, request).status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace upres::outpaint
