// LaMa's generator (src/models/lama/) against tests/reference/lama_torch.py: two tiny random-weight
// configurations of big-lama's layout (FFC blocks with the spectral transform, split 0.75; one with
// an odd FFT width) from a spandrel-style .pth and a training checkpoint (.ckpt with
// generator./discriminator. keys), on every backend; files that are not LaMa or do not fit; and the
// outpaint fill around it (outpaint/lama_fill.h): what the network is fed, tiling, the original kept.
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <random>

#include "engine/backend_registry.h"
#include "family_fixtures.h"
#include "models/architecture_registry.h"
#include "models/lama/lama.h"
#include "models/lama/lama_runner.h"
#include "outpaint/classic_fills.h"
#include "outpaint/lama_fill.h"
#include "outpaint/outpaint.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

constexpr double kTolerance = 1e-4;

const testing::FamilyFixtures& fixtures() {
  static const auto* f = new testing::FamilyFixtures("lama_torch.py", "lama_fixtures", "");
  return *f;
}

Result<engine::Tensor> run_generator(const lama::LamaGenerator& net, const std::string& backend_name,
                                     const engine::Tensor& input) {
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, net.build_graph(static_cast<int>(input.dim(2)), static_cast<int>(input.dim(3))));
  UPRES_ASSIGN_OR_RETURN(auto backend, engine::create_backend(backend_name));
  UPRES_ASSIGN_OR_RETURN(auto exe, backend->prepare(graph, {}));
  std::vector<engine::Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(exe->run({&input, 1}, outputs));
  return outputs[0];
}

class LamaTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LamaTest, MatchesPyTorch) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  const nlohmann::json* c = fixtures().find("cases", GetParam());
  ASSERT_NE(c, nullptr) << "manifest lacks " << GetParam();
  auto net = lama::LamaGenerator::load(fixtures().dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  EXPECT_EQ((*net)->config().ngf, c->at("ngf").get<int64_t>());
  EXPECT_EQ((*net)->config().downsampling, c->at("n_downsampling").get<int>());
  EXPECT_EQ((*net)->config().blocks, c->at("n_blocks").get<int>());
  for (const nlohmann::json& run : c->at("runs")) {
    auto input = testing::read_f32_tensor(fixtures().dir() / run["input"]["file"].get<std::string>(),
                                          run["input"]["shape"].get<engine::Shape>());
    auto expected = testing::read_f32_tensor(fixtures().dir() / run["expected"]["file"].get<std::string>(),
                                             run["expected"]["shape"].get<engine::Shape>());
    ASSERT_TRUE(input.is_ok() && expected.is_ok()) << input.status().to_string() << expected.status().to_string();
    for (const std::string& backend : engine::backend_names()) {
      SCOPED_TRACE(backend);
      auto output = run_generator(**net, backend, *input);
      ASSERT_TRUE(output.is_ok()) << output.status().to_string();
      const double diff = testing::max_abs_diff(*output, *expected);
      std::cout << "[ MAX DIFF ] " << GetParam() << " on " << backend << ": " << diff << "\n";
      EXPECT_LE(diff, kTolerance);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomWeights, LamaTest, ::testing::Values("lama_ngf4_d2_b1", "lama_ngf8_d3_b2"));

// big-lama's layout at a tiny width: stem, `down` downsampling layers, `blocks` FFC blocks, ups, out.
testing::Shapes tiny_lama(int64_t ngf, int down, int blocks) {
  testing::Shapes s;
  auto bn = [&](const std::string& key, int64_t c) {
    for (const char* f : {".weight", ".bias", ".running_mean", ".running_var"}) s.push_back({key + f, {c}});
  };
  const std::string p = "model.model.";
  s.push_back({p + "1.ffc.convl2l.weight", {ngf, 4, 7, 7}});
  bn(p + "1.bn_l", ngf);
  int64_t c = ngf;
  for (int i = 0; i < down; ++i) {
    const std::string k = p + std::to_string(2 + i);
    if (i + 1 < down) {
      s.push_back({k + ".ffc.convl2l.weight", {2 * c, c, 3, 3}});
      bn(k + ".bn_l", 2 * c);
    } else {
      s.push_back({k + ".ffc.convl2l.weight", {c / 2, c, 3, 3}});
      s.push_back({k + ".ffc.convl2g.weight", {3 * c / 2, c, 3, 3}});
      bn(k + ".bn_l", c / 2);
      bn(k + ".bn_g", 3 * c / 2);
    }
    c *= 2;
  }
  const int64_t local = c / 4, global = c - local;
  for (int b = 0; b < blocks; ++b) {
    for (const char* conv : {".conv1", ".conv2"}) {
      const std::string k = p + std::to_string(2 + down + b) + conv;
      s.push_back({k + ".ffc.convl2l.weight", {local, local, 3, 3}});
      s.push_back({k + ".ffc.convl2g.weight", {global, local, 3, 3}});
      s.push_back({k + ".ffc.convg2l.weight", {local, global, 3, 3}});
      s.push_back({k + ".ffc.convg2g.conv1.0.weight", {global / 2, global, 1, 1}});
      bn(k + ".ffc.convg2g.conv1.1", global / 2);
      s.push_back({k + ".ffc.convg2g.fu.conv_layer.weight", {global, global, 1, 1}});
      bn(k + ".ffc.convg2g.fu.bn", global);
      s.push_back({k + ".ffc.convg2g.conv2.weight", {global, global / 2, 1, 1}});
      bn(k + ".bn_l", local);
      bn(k + ".bn_g", global);
    }
  }
  int index = 2 + down + blocks + 1;
  for (int i = 0; i < down; ++i, index += 3) {
    s.push_back({p + std::to_string(index) + ".weight", {c, c / 2, 3, 3}});
    s.push_back({p + std::to_string(index) + ".bias", {c / 2}});
    bn(p + std::to_string(index + 1), c / 2);
    c /= 2;
  }
  s.push_back({p + std::to_string(index + 1) + ".weight", {3, ngf, 7, 7}});
  s.push_back({p + std::to_string(index + 1) + ".bias", {3}});
  return s;
}

TEST(LamaBadFiles, LayoutIsReadFromTheKeys) {
  const auto weights = testing::make_weights(tiny_lama(8, 3, 2));
  auto net = lama::LamaGenerator::from_weights(weights);
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  EXPECT_EQ((*net)->config().downsampling, 3);
  EXPECT_EQ((*net)->config().blocks, 2);
  EXPECT_EQ((*net)->size_multiple(), 8);
  EXPECT_FALSE((*net)->build_graph(36, 32).is_ok()) << "36 is not a multiple of 8";
  EXPECT_FALSE((*net)->build_graph(8, 32).is_ok()) << "too small for the reflect pads";
  EXPECT_TRUE((*net)->build_graph(16, 24).is_ok());
}

TEST(LamaBadFiles, ShapesThatDoNotFitAreNamed) {
  testing::Shapes shapes = tiny_lama(8, 3, 1);
  for (auto& [key, shape] : shapes) {
    if (key == "model.model.5.conv1.ffc.convg2g.fu.conv_layer.weight") shape = {23, 24, 1, 1};
  }
  auto net = lama::LamaGenerator::from_weights(testing::make_weights(shapes));
  ASSERT_FALSE(net.is_ok());
  EXPECT_NE(net.status().message().find("fu.conv_layer.weight"), std::string::npos) << net.status().to_string();

  shapes = tiny_lama(8, 3, 1);
  std::erase_if(shapes, [](const auto& entry) { return entry.first == "model.model.5.conv2.ffc.convg2l.weight"; });
  net = lama::LamaGenerator::from_weights(testing::make_weights(shapes));
  ASSERT_FALSE(net.is_ok());
  EXPECT_NE(net.status().message().find("convg2l.weight is missing"), std::string::npos) << net.status().to_string();

  testing::Shapes esrgan;
  testing::add_conv(esrgan, "conv_first", 3, 8);
  net = lama::LamaGenerator::from_weights(testing::make_weights(esrgan));
  ASSERT_FALSE(net.is_ok());
  EXPECT_NE(net.status().message().find("not a LaMa"), std::string::npos) << net.status().to_string();
}

// The upscale path recognises a LaMa file and says where it is used instead of "unknown architecture".
TEST(LamaBadFiles, UpscalingWithLamaNamesTheOutpaintFill) {
  auto model = load_torch_upscale_model(testing::make_weights(tiny_lama(8, 3, 1)), "big-lama.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("outpaint --fill lama"), std::string::npos) << model.status().to_string();
}

// --- the outpaint fill ---------------------------------------------------------------------------

image::Image noise_picture(int width, int height, int channels, uint32_t seed) {
  image::Image picture(width, height, channels);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (size_t i = 0; i < picture.sample_count(); ++i) picture.pixels()[i] = uniform(rng);
  return picture;
}

outpaint::CanvasPlan expand_plan(const image::Image& picture, outpaint::Borders borders) {
  outpaint::CanvasRequest request;
  request.mode = outpaint::CanvasRequest::Mode::kExpand;
  request.expand = borders;
  return outpaint::plan_canvas(picture.width(), picture.height(), request).value();
}

void expect_original_kept(const image::Image& input, const image::Image& output, const outpaint::Rect& at) {
  for (int y = 0; y < input.height(); ++y)
    for (int x = 0; x < input.width(); ++x)
      for (int c = 0; c < input.channels(); ++c) ASSERT_EQ(output.at(at.x + x, at.y + y, c), input.at(x, y, c));
}

// A stand-in network that checks its input and paints one colour per call.
struct RecordingInpainter {
  std::vector<std::array<float, 3>> colours;
  int calls = 0;
  std::string problem;
  Status operator()(const float* input, int height, int width, float* output) {
    const size_t plane = static_cast<size_t>(height) * width;
    if (height % 8 != 0 || width % 8 != 0 || height < 16 || width < 16) problem = "size " + std::to_string(width) + "x" + std::to_string(height);
    size_t masked = 0;
    for (size_t i = 0; i < plane; ++i) {
      const float m = input[3 * plane + i];
      if (m != 0.0f && m != 1.0f) problem = "mask value " + std::to_string(m);
      if (m == 1.0f && (input[i] != 0.0f || input[plane + i] != 0.0f || input[2 * plane + i] != 0.0f)) problem = "unmasked hole";
      masked += m == 1.0f;
    }
    if (masked == 0 || masked == plane) problem = "a window with no hole or no context";
    const auto& colour = colours[static_cast<size_t>(calls++) % colours.size()];
    for (int c = 0; c < 3; ++c) std::fill_n(output + c * plane, plane, colour[static_cast<size_t>(c)]);
    return Status::ok();
  }
};

TEST(LamaFill, FeedsMaskedWindowsAndPastesTheNetworkOutput) {
  const image::Image picture = noise_picture(40, 30, 3, 5);
  const outpaint::CanvasPlan plan = expand_plan(picture, {10, 6, 10, 0});
  auto recorder = std::make_shared<RecordingInpainter>();
  recorder->colours = {{0.25f, 0.5f, 0.75f}};
  outpaint::FillSettings settings;
  settings.mask_blur_px = 0;
  const outpaint::LamaFill fill(settings, [recorder](const float* in, int h, int w, float* out) { return (*recorder)(in, h, w, out); });
  auto result = outpaint::outpaint(picture, plan, fill);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_TRUE(recorder->problem.empty()) << recorder->problem;
  EXPECT_EQ(recorder->calls, 3);  // left, right, top: one window each
  expect_original_kept(picture, *result, plan.original);
  for (int y = 0; y < result->height(); ++y)
    for (int x = 0; x < result->width(); ++x) {
      if (plan.original.contains(x, y)) continue;
      ASSERT_NEAR(result->at(x, y, 0), 0.25f, 1e-5) << x << "," << y;
      ASSERT_NEAR(result->at(x, y, 2), 0.75f, 1e-5) << x << "," << y;
    }
}

TEST(LamaFill, GreyAlphaKeepsTheEdgeAlphaAndTheMeanColour) {
  const image::Image picture = noise_picture(32, 24, 2, 6);
  const outpaint::CanvasPlan plan = expand_plan(picture, {0, 0, 12, 0});
  outpaint::FillSettings settings;
  settings.mask_blur_px = 0;
  const outpaint::LamaFill fill(settings, [](const float*, int h, int w, float* out) {
    const size_t plane = static_cast<size_t>(h) * w;
    for (int c = 0; c < 3; ++c) std::fill_n(out + c * plane, plane, 0.2f * static_cast<float>(c + 1));
    return Status::ok();
  });
  auto result = outpaint::outpaint(picture, plan, fill);
  auto edge = outpaint::outpaint(picture, plan, outpaint::EdgeFill());
  ASSERT_TRUE(result.is_ok() && edge.is_ok());
  expect_original_kept(picture, *result, plan.original);
  for (int y = 0; y < 24; ++y) {
    EXPECT_NEAR(result->at(40, y, 0), 0.4f, 1e-5);             // mean of 0.2, 0.4, 0.6
    EXPECT_EQ(result->at(40, y, 1), edge->at(40, y, 1));       // alpha as the edge fill has it
  }
}

TEST(LamaFill, LongBordersAreTiledAndCrossFaded) {
  const image::Image picture = noise_picture(24, 120, 3, 7);
  const outpaint::CanvasPlan plan = expand_plan(picture, {8, 0, 0, 0});
  auto recorder = std::make_shared<RecordingInpainter>();
  recorder->colours = {{0.2f, 0.2f, 0.2f}, {0.6f, 0.6f, 0.6f}};
  outpaint::FillSettings settings;
  settings.mask_blur_px = 0;
  outpaint::LamaTiling tiling;
  tiling.tile_px = 32;  // a window 32 across (8 new + 24 context) and tiles 32 long
  const outpaint::LamaFill fill(settings, [recorder](const float* in, int h, int w, float* out) { return (*recorder)(in, h, w, out); },
                                tiling);
  auto result = outpaint::outpaint(picture, plan, fill);
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_TRUE(recorder->problem.empty()) << recorder->problem;
  EXPECT_GE(recorder->calls, 4);
  int blended = 0;
  for (int y = 0; y < 120; ++y) {
    const float v = result->at(0, y, 0);
    EXPECT_GE(v, 0.2f - 1e-5f);
    EXPECT_LE(v, 0.6f + 1e-5f);
    blended += v > 0.21f && v < 0.59f;
  }
  EXPECT_GT(blended, 4) << "overlapping tiles should cross-fade";
}

// The tiny random LaMa end to end: deterministic, original kept, the border the network's own.
TEST(LamaFill, RunsTheGeneratorEndToEnd) {
  if (!fixtures().skip_reason().empty()) GTEST_SKIP() << fixtures().skip_reason();
  auto runner = lama::LamaRunner::load(fixtures().dir() / "lama_ngf4_d2_b1.pth");
  ASSERT_TRUE(runner.is_ok()) << runner.status().to_string();
  const image::Image picture = noise_picture(48, 32, 3, 8);
  outpaint::CanvasRequest request;  // 16:9 from 48x32: 57x32, 4 and 5 columns added
  const outpaint::CanvasPlan plan = outpaint::plan_canvas(48, 32, request).value();
  outpaint::FillSettings settings;
  outpaint::LamaTiling tiling;
  tiling.size_multiple = (*runner)->generator().size_multiple();
  auto network = [r = *runner](const float* in, int h, int w, float* out) { return r->run(in, h, w, out); };
  const outpaint::LamaFill fill(settings, network, tiling);
  auto first = outpaint::outpaint(picture, plan, fill);
  auto second = outpaint::outpaint(picture, plan, fill);
  auto edge = outpaint::outpaint(picture, plan, outpaint::EdgeFill());
  ASSERT_TRUE(first.is_ok() && second.is_ok() && edge.is_ok()) << first.status().to_string();
  EXPECT_EQ(first->width(), 57);
  expect_original_kept(picture, *first, plan.original);
  double differs = 0;
  for (size_t i = 0; i < first->sample_count(); ++i) {
    ASSERT_EQ(first->pixels()[i], second->pixels()[i]);
    ASSERT_TRUE(first->pixels()[i] >= 0.0f && first->pixels()[i] <= 1.0f);
    differs += std::abs(first->pixels()[i] - edge->pixels()[i]);
  }
  EXPECT_GT(differs, 1.0) << "the border should come from the network, not the edge fill";
}

}  // namespace
}  // namespace upres::models
