// PatchMatch continues textures across the border: the new region has the original's period
// (autocorrelation peak), its contrast, and lines up with it at the seam. The same measures reject
// edge repetition and flat colour, so they cannot pass on smeared fills.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "outpaint/classic_fills.h"
#include "outpaint/outpaint.h"
#include "outpaint/patch_match_fill.h"

namespace upres::outpaint {
namespace {

using Pattern = std::function<float(int x, int y)>;

image::Image picture_of(int width, int height, const Pattern& pattern) {
  image::Image picture(width, height, 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) picture.at(x, y, c) = pattern(x, y);
  return picture;
}

// Normalised autocorrelation of channel 0 over [x0, x1) x [y0, y1) at a lag along x (dx > 0) or y
// (dy > 0), each row (or column) taken about its own mean: a fill that repeats one value along
// the lag's axis has no variance there and scores 0.
double autocorrelation(const image::Image& p, int x0, int y0, int x1, int y1, int dx, int dy) {
  const bool along_x = dx > 0;
  const int lines = along_x ? y1 - y0 : x1 - x0, length = along_x ? x1 - x0 : y1 - y0, lag = along_x ? dx : dy;
  auto at = [&](int line, int i) { return along_x ? p.at(x0 + i, y0 + line, 0) : p.at(x0 + line, y0 + i, 0); };
  double cov = 0, var = 0;
  for (int line = 0; line < lines; ++line) {
    double mean = 0;
    for (int i = 0; i < length; ++i) mean += at(line, i);
    mean /= length;
    for (int i = 0; i < length; ++i) {
      var += (at(line, i) - mean) * (at(line, i) - mean);
      if (i + lag < length) cov += (at(line, i) - mean) * (at(line, i + lag) - mean);
    }
  }
  return var < 1e-9 ? 0 : cov / var * length / (length - lag);
}

// The first lag in [2, max_lag] whose autocorrelation is within 0.05 of the highest, and that value.
std::pair<int, double> period(const image::Image& p, int x0, int y0, int x1, int y1, bool along_x, int max_lag) {
  std::vector<double> ac(max_lag + 1, -2);
  double best = -2;
  for (int lag = 2; lag <= max_lag; ++lag) {
    ac[lag] = autocorrelation(p, x0, y0, x1, y1, along_x ? lag : 0, along_x ? 0 : lag);
    best = std::max(best, ac[lag]);
  }
  for (int lag = 2; lag <= max_lag; ++lag)
    if (ac[lag] >= best - 0.05) return {lag, ac[lag]};
  return {0, best};
}

double stddev(const image::Image& p, int x0, int y0, int x1, int y1) {
  double sum = 0, sum2 = 0, n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x, ++n) {
      sum += p.at(x, y, 0);
      sum2 += p.at(x, y, 0) * p.at(x, y, 0);
    }
  return std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
}

image::Image fill_with(const BorderFill& fill, const image::Image& input, const std::string& sides) {
  CanvasRequest request;
  EXPECT_TRUE(parse_expand(sides, request).is_ok());
  auto out = outpaint(input, plan_canvas(input.width(), input.height(), request).value(), fill);
  EXPECT_TRUE(out.is_ok()) << out.status().to_string();
  return std::move(out).value();
}

// Mean absolute difference between the picture and the ideal pattern over a region (in canvas
// coordinates, the pattern in the original's coordinates).
double error_against(const image::Image& p, const Pattern& pattern, int ox, int oy, int x0, int y0, int x1, int y1) {
  double sum = 0, n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x, ++n) sum += std::abs(p.at(x, y, 0) - pattern(x - ox, y - oy));
  return sum / n;
}

// The synthesis itself, without the seam feather (which mixes in the mirrored original next to the
// seam); BlendedSeamKeepsThePeriodBeyondTheBand checks the default blend.
FillSettings without_blend() {
  FillSettings settings;
  settings.mask_blur_px = 0;
  return settings;
}
const PatchMatchFill kPatchMatch{without_blend()};

TEST(PatchMatch, StripesContinueWithTheirPeriodAndPhase) {
  const Pattern stripes = [](int x, int) { return ((x + 800) / 4) % 2 ? 0.9f : 0.1f; };  // period 8
  const image::Image input = picture_of(48, 40, stripes);
  const image::Image out = fill_with(kPatchMatch, input, "24,0,24,0");
  // The new region on each side: period 8 as in the original, strongly periodic.
  auto [original_lag, original_ac] = period(out, 24, 0, 72, 40, true, 20);
  ASSERT_EQ(original_lag, 8);
  for (int x0 : {0, 72}) {
    auto [lag, ac] = period(out, x0, 0, x0 + 24, 40, true, 20);
    EXPECT_EQ(lag, 8) << "band at x " << x0;
    EXPECT_GT(ac, 0.7) << "band at x " << x0;
    EXPECT_GT(stddev(out, x0, 0, x0 + 24, 40), 0.7 * stddev(out, 24, 0, 72, 40));
  }
  // In phase at the seam: the 12 columns next to the original are the pattern itself.
  EXPECT_LT(error_against(out, stripes, 24, 0, 72, 0, 84, 40), 0.08);
  EXPECT_LT(error_against(out, stripes, 24, 0, 12, 0, 24, 40), 0.08);
  // The measure rejects edge repetition and flat colour.
  const image::Image edge = fill_with(EdgeFill(), input, "24,0,24,0");
  EXPECT_LT(period(edge, 72, 0, 96, 40, true, 20).second, 0.5);
  const image::Image flat = fill_with(ColorFill(std::nullopt, 8), input, "24,0,24,0");
  EXPECT_LT(stddev(flat, 80, 0, 96, 40), 0.05);
}

TEST(PatchMatch, CheckerboardContinuesInBothAxesAndTheCorner) {
  const Pattern board = [](int x, int y) { return ((x + 500) / 5 + (y + 500) / 5) % 2 ? 0.85f : 0.15f; };  // period 10
  const image::Image input = picture_of(50, 40, board);
  const image::Image out = fill_with(kPatchMatch, input, "0,0,20,20");
  auto right = period(out, 50, 0, 70, 40, true, 16);
  auto below = period(out, 0, 40, 50, 60, false, 16);
  auto corner = period(out, 50, 40, 70, 60, true, 16);
  EXPECT_EQ(right.first, 10);
  EXPECT_GT(right.second, 0.6);
  EXPECT_EQ(below.first, 10);
  EXPECT_GT(below.second, 0.6);
  EXPECT_EQ(corner.first, 10);
  EXPECT_GT(stddev(out, 50, 40, 70, 60), 0.6 * stddev(out, 0, 0, 50, 40));
  EXPECT_LT(error_against(out, board, 0, 0, 50, 0, 60, 40), 0.1);
  EXPECT_LT(error_against(out, board, 0, 0, 0, 40, 50, 50), 0.1);
  const image::Image edge = fill_with(EdgeFill(), input, "0,0,20,20");
  EXPECT_LT(period(edge, 50, 0, 70, 40, true, 16).second, 0.5);
}

TEST(PatchMatch, NoiseStaysNoiseWithItsContrastAndGrain) {
  // Noise blurred 2x2 horizontally: lag-1 autocorrelation ~0.5 along x, ~0 along y.
  std::vector<float> raw(64 * 48);
  uint32_t state = 7;
  for (float& v : raw) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / 16777216.0f;
  }
  const Pattern noise = [&](int x, int y) { return 0.5f * (raw[y * 64 + x] + raw[y * 64 + std::min(63, x + 1)]); };
  const image::Image input = picture_of(64, 48, noise);
  const image::Image out = fill_with(kPatchMatch, input, "24,0,24,0");
  const double original_sd = stddev(out, 24, 0, 88, 48);
  const double original_ac1 = autocorrelation(out, 24, 0, 88, 48, 1, 0);
  for (int x0 : {0, 88}) {
    // Away from the seam blend (8 px), the grain is the original's.
    const int a = x0 == 0 ? 0 : x0 + 8, b = x0 == 0 ? 16 : x0 + 24;
    EXPECT_GT(stddev(out, a, 0, b, 48), 0.75 * original_sd) << x0;
    EXPECT_NEAR(autocorrelation(out, a, 0, b, 48, 1, 0), original_ac1, 0.2) << x0;
    EXPECT_NEAR(autocorrelation(out, a, 0, b, 48, 0, 1), 0.0, 0.2) << x0;
  }
  const image::Image edge = fill_with(EdgeFill(), input, "24,0,24,0");
  EXPECT_GT(std::abs(autocorrelation(edge, 96, 0, 112, 48, 1, 0) - original_ac1), 0.2) << "edge repeats the column";
  const image::Image flat = fill_with(ColorFill(std::nullopt, 8), input, "24,0,24,0");
  EXPECT_LT(stddev(flat, 96, 0, 112, 48), 0.25 * original_sd);
}

TEST(PatchMatch, BlendedSeamKeepsThePeriodBeyondTheBandAndContinuesAtTheSeam) {
  const Pattern stripes = [](int x, int) { return ((x + 800) / 5) % 2 ? 0.9f : 0.1f; };  // period 10
  const image::Image input = picture_of(60, 40, stripes);
  const image::Image out = fill_with(PatchMatchFill(FillSettings{}), input, "0,0,40,0");  // mask blur 8
  auto [lag, ac] = period(out, 68, 0, 100, 40, true, 24);
  EXPECT_EQ(lag, 10);
  EXPECT_GT(ac, 0.7);
  EXPECT_LT(error_against(out, stripes, 0, 0, 68, 0, 100, 40), 0.08);
  // The first new column continues the last original one.
  EXPECT_LT(error_against(out, [&](int x, int y) { return input.at(59, y, 0) + 0 * x; }, 0, 0, 60, 0, 61, 40), 0.05);
}

TEST(PatchMatch, SameSeedSamePictureWhateverTheThreads) {
  std::vector<float> raw(40 * 30);
  uint32_t state = 99;
  for (float& v : raw) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / 16777216.0f;
  }
  const image::Image input = picture_of(40, 30, [&](int x, int y) { return raw[y * 40 + x]; });
  CanvasRequest request;
  ASSERT_TRUE(parse_aspect("21:9", request).is_ok());
  const CanvasPlan plan = plan_canvas(40, 30, request).value();
  FillSettings settings;
  settings.seed = 5;
  const PatchMatchFill fill(settings);
  FillContext one, four;
  one.threads = 1;
  four.threads = 4;
  const image::Image a = outpaint(input, plan, fill, one).value();
  const image::Image b = outpaint(input, plan, fill, four).value();
  const image::Image c = outpaint(input, plan, fill, four).value();
  EXPECT_EQ(std::memcmp(a.pixels(), b.pixels(), a.sample_count() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(b.pixels(), c.pixels(), b.sample_count() * sizeof(float)), 0);
  settings.seed = 6;
  const image::Image d = outpaint(input, plan, PatchMatchFill(settings), four).value();
  EXPECT_NE(std::memcmp(a.pixels(), d.pixels(), a.sample_count() * sizeof(float)), 0);
}

TEST(PatchMatch, ReportsProgressAndStopsWhenCancelled) {
  const image::Image input = picture_of(64, 48, [](int x, int y) { return ((x * 7 + y * 3) % 11) / 10.0f; });
  CanvasRequest request;
  ASSERT_TRUE(parse_aspect("16:9", request).is_ok());
  const CanvasPlan plan = plan_canvas(64, 48, request).value();
  long last_done = 0, last_total = 0;
  FillContext context;
  context.on_progress = [&](long done, long total) { last_done = done, last_total = total; };
  ASSERT_TRUE(outpaint(input, plan, kPatchMatch, context).is_ok());
  EXPECT_GT(last_total, 0);
  EXPECT_EQ(last_done, last_total);
  std::atomic<bool> stop{true};
  context.cancel = &stop;
  auto stopped = outpaint(input, plan, kPatchMatch, context);
  ASSERT_FALSE(stopped.is_ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kCancelled);
}

TEST(PatchMatch, TinyPicturesStillFill) {
  for (int side : {1, 2, 3, 4, 8}) {
    const image::Image input = picture_of(side, side, [](int x, int y) { return (x + y) % 2 ? 1.0f : 0.0f; });
    const image::Image out = fill_with(kPatchMatch, input, "3,2,5,4");
    EXPECT_EQ(out.width(), side + 8);
    EXPECT_EQ(out.height(), side + 6);
  }
}

}  // namespace
}  // namespace upres::outpaint
