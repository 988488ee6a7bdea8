#include "pipeline/neural_upscaler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/backend_registry.h"
#include "image/image_codec.h"

namespace upres::pipeline {
namespace {

using engine::Tensor;

Tensor random_tensor(const engine::Shape& shape, std::mt19937& rng, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(engine::shape_numel(shape));
  for (float& v : values) v = normal(rng);
  return Tensor::from_f32(values, shape).value();
}

// A small random 2x network (receptive field radius 4): conv-lrelu-conv-lrelu-conv-pixel shuffle.
class TinyModel : public models::UpscaleModel {
 public:
  explicit TinyModel(int refuse_tiles_above_px = 0, int size_multiple = 1, bool faithful_in_bf16 = true,
                     bool faster_in_bf16 = true)
      : refuse_above_(refuse_tiles_above_px),
        multiple_(size_multiple),
        faithful_in_bf16_(faithful_in_bf16),
        faster_in_bf16_(faster_in_bf16) {
    std::mt19937 rng(7);
    w1_ = random_tensor({8, 3, 3, 3}, rng, 0.3f);
    w2_ = random_tensor({8, 8, 3, 3}, rng, 0.2f);
    w3_ = random_tensor({12, 8, 3, 3}, rng, 0.2f);
    b3_ = random_tensor({12}, rng, 0.1f);
  }
  std::string architecture() const override { return "tiny"; }
  int scale() const override { return 2; }
  double bytes_per_input_pixel() const override { return 100; }
  int size_multiple() const override { return multiple_; }
  bool is_faithful_in_bf16() const override { return faithful_in_bf16_; }
  bool runs_faster_in_bf16() const override { return faster_in_bf16_; }
  Result<engine::Graph> build_graph(int height, int width) const override {
    if (height % multiple_ != 0 || width % multiple_ != 0) return invalid_argument("not a multiple");
    if (refuse_above_ && (height > refuse_above_ || width > refuse_above_))
      return resource_exhausted("test model refuses tiles over " + std::to_string(refuse_above_));
    engine::Graph g;
    engine::Value x = g.input("x", {1, 3, height, width});
    engine::Conv2dAttrs same;
    same.padding = 1;
    x = g.leaky_relu(g.conv2d(x, w1_, {}, same), 0.2f);
    x = g.leaky_relu(g.conv2d(x, w2_, {}, same), 0.2f);
    x = g.pixel_shuffle(g.conv2d(x, w3_, b3_, same), 2);
    g.mark_output(x);
    UPRES_RETURN_IF_ERROR(g.status());
    return g;
  }

 private:
  int refuse_above_;
  int multiple_;
  bool faithful_in_bf16_;
  bool faster_in_bf16_;
  Tensor w1_, w2_, w3_, b3_;
};

image::Image noise_image(int width, int height, int channels) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  image::Image picture(width, height, channels);
  for (size_t i = 0; i < picture.sample_count(); ++i) picture.pixels()[i] = uniform(rng);
  return picture;
}

float max_difference(const image::Image& a, const image::Image& b) {
  float worst = 0;
  for (size_t i = 0; i < a.sample_count(); ++i) worst = std::max(worst, std::fabs(a.pixels()[i] - b.pixels()[i]));
  return worst;
}

InferenceOptions with_tile(int tile_px, int overlap_px) {
  InferenceOptions options;
  options.backend = "reference";
  options.tile_px = tile_px;
  options.overlap_px = overlap_px;
  return options;
}

// The 150x97 noise picture upscaled 2x by `model` in one tile and in 48 px tiles (overlap 12).
struct WholeAndTiled {
  Result<image::Image> whole, tiled;
  int tiled_tile_px = 0;
};

WholeAndTiled upscale_whole_and_tiled(const std::shared_ptr<TinyModel>& model) {
  image::Image input = noise_image(150, 97, 3);
  NeuralUpscaler whole("tiny", model, with_tile(1024, 0));
  NeuralUpscaler tiled("tiny", model, with_tile(48, 12));
  Progress progress;
  WholeAndTiled result{whole.upscale(input, 300, 194, progress), tiled.upscale(input, 300, 194, progress)};
  result.tiled_tile_px = tiled.last_tile_px();
  return result;
}

TEST(NeuralUpscalerTest, TiledEqualsUntiledWhenTheOverlapCoversTheReceptiveField) {
  WholeAndTiled r = upscale_whole_and_tiled(std::make_shared<TinyModel>());
  ASSERT_TRUE(r.whole.is_ok()) << r.whole.status().to_string();
  ASSERT_TRUE(r.tiled.is_ok()) << r.tiled.status().to_string();
  EXPECT_EQ(r.tiled_tile_px, 48);
  EXPECT_LT(max_difference(r.whole.value(), r.tiled.value()), 1e-5f);
}

// Models that need sizes in multiples (pixel unshuffle) see the edge repeated past the picture, the
// same whether tiled or not, and the result has the picture's own size times the scale.
TEST(NeuralUpscalerTest, SizeMultiplesArePaddedByRepeatingTheEdge) {
  WholeAndTiled r = upscale_whole_and_tiled(std::make_shared<TinyModel>(0, /*size_multiple=*/4));
  ASSERT_TRUE(r.whole.is_ok()) << r.whole.status().to_string();
  ASSERT_TRUE(r.tiled.is_ok()) << r.tiled.status().to_string();
  EXPECT_EQ(r.whole->width(), 300);
  EXPECT_EQ(r.whole->height(), 194);
  EXPECT_LT(max_difference(r.whole.value(), r.tiled.value()), 1e-5f);
}

TEST(NeuralUpscalerTest, RetriesWithSmallerTilesWhenMemoryRunsOut) {
  auto model = std::make_shared<TinyModel>(/*refuse_tiles_above_px=*/100);
  NeuralUpscaler upscaler("tiny", model, with_tile(400, 8));
  Progress progress;
  auto out = upscaler.upscale(noise_image(300, 260, 3), 600, 520, progress);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_LE(upscaler.last_tile_px(), 100);
  EXPECT_EQ(out->width(), 600);
}

TEST(NeuralUpscalerTest, RepeatsNativePassesThenResizesToTheExactSize) {
  auto model = std::make_shared<TinyModel>();
  NeuralUpscaler upscaler("tiny", model, with_tile(0, 8));
  int tiles_reported = 0;
  Progress progress([&](const ProgressEvent& e) { tiles_reported += e.stage == "tiny tile"; });
  auto out = upscaler.upscale(noise_image(20, 10, 3), 70, 35, progress);  // 3.5x: two 2x passes
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(out->width(), 70);
  EXPECT_EQ(out->height(), 35);
  EXPECT_EQ(tiles_reported, 2);  // one tile per pass
}

// A 1x "denoiser" (ScuNET's kind): y = 0.5 x + 0.25.
class OneXModel : public models::UpscaleModel {
 public:
  std::string architecture() const override { return "one"; }
  int scale() const override { return 1; }
  double bytes_per_input_pixel() const override { return 100; }
  Result<engine::Graph> build_graph(int height, int width) const override {
    engine::Graph g;
    g.mark_output(g.scale(g.input("x", {1, 3, height, width}), 0.5f, 0.25f));
    UPRES_RETURN_IF_ERROR(g.status());
    return g;
  }
};

// As the reference UI's Upscaler.upscale: a pass that keeps the size ends the passes (the model
// runs once, not three times), then Lanczos reaches the target.
TEST(NeuralUpscalerTest, OneXModelRunsOnceThenResizes) {
  NeuralUpscaler upscaler("one", std::make_shared<OneXModel>(), with_tile(0, 8));
  int tiles_reported = 0;
  Progress progress([&](const ProgressEvent& e) { tiles_reported += e.stage == "one tile"; });
  image::Image flat(12, 10, 3);
  for (size_t i = 0; i < flat.sample_count(); ++i) flat.pixels()[i] = 0.5f;
  auto out = upscaler.upscale(flat, 48, 40, progress);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(tiles_reported, 1);
  EXPECT_EQ(out->width(), 48);
  EXPECT_EQ(out->height(), 40);
  EXPECT_NEAR(out->at(20, 20, 1), 0.5f, 1e-5f);  // one pass: 0.5 * 0.5 + 0.25 (three would give 0.4375)
}

TEST(NeuralUpscalerTest, KeepsAlphaAndGreyAndCancels) {
  auto model = std::make_shared<TinyModel>();
  NeuralUpscaler upscaler("tiny", model, with_tile(0, 8));
  Progress progress;
  image::Image grey_alpha = noise_image(16, 12, 2);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 16; ++x) grey_alpha.at(x, y, 1) = x < 8 ? 0.0f : 1.0f;
  auto out = upscaler.upscale(grey_alpha, 32, 24, progress);
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(out->channels(), 2);
  EXPECT_NEAR(out->at(2, 5, 1), 0.0f, 1e-3);   // transparent half stays transparent
  EXPECT_NEAR(out->at(29, 5, 1), 1.0f, 1e-3);  // opaque half stays opaque
  progress.cancel();
  EXPECT_EQ(upscaler.upscale(grey_alpha, 32, 24, progress).status().code(), StatusCode::kCancelled);
}

// A real network with a receptive field wider than the overlap: the blend keeps tiled output
// within 1/255 of untiled output on a real picture.
TEST(NeuralUpscalerTest, RealModelTiledWithinOneLevelOfUntiled) {
  const std::filesystem::path model_path = std::filesystem::path(UPRES_SOURCE_DIR) / "models/ESRGAN/2x-AniScale.pth";
  const std::filesystem::path picture_path = std::filesystem::path(UPRES_TEST_DATA_DIR) / "images/set14/comic.png";
  if (!std::filesystem::exists(model_path)) GTEST_SKIP() << model_path << " missing: run scripts/setup.sh";
  if (!std::filesystem::exists(picture_path)) GTEST_SKIP() << picture_path << " missing from tests/data";
  auto model = models::load_upscale_model(model_path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  auto picture = image::read_image(picture_path);
  ASSERT_TRUE(picture.is_ok());
  InferenceOptions whole_options = with_tile(1024, 0), tiled_options = with_tile(96, 32);
  whole_options.backend = tiled_options.backend = "";  // the fastest built backend
  NeuralUpscaler whole("AniScale", model.value(), whole_options);
  NeuralUpscaler tiled("AniScale", model.value(), tiled_options);
  Progress progress;
  const int w = picture->width(), h = picture->height();
  auto a = whole.upscale(picture.value(), 2 * w, 2 * h, progress);
  auto b = tiled.upscale(picture.value(), 2 * w, 2 * h, progress);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_LE(max_difference(a.value(), b.value()), 1.0f / 255);
}

// --precision auto follows what the backend reports as its fastest compute type, unless the model
// loses fidelity in bf16 or runs slower in it; fp32 and bf16 are taken as given.
TEST(NeuralUpscalerTest, AutoPrecisionFollowsTheBackendAndTheModel) {
  for (const std::string& backend_name : engine::backend_names()) {
    auto backend = engine::create_backend(backend_name);
    ASSERT_TRUE(backend.is_ok());
    const DType fastest = (*backend)->fastest_compute_dtype();
    for (bool faithful : {true, false}) {
      for (bool faster : {true, false}) {
        SCOPED_TRACE(backend_name + (faithful ? ", faithful model" : ", model unfaithful in bf16") +
                     (faster ? ", faster in bf16" : ", slower in bf16"));
        auto model = std::make_shared<TinyModel>(0, 1, faithful, faster);
        InferenceOptions options;
        options.backend = backend_name;
        NeuralUpscaler automatic("tiny", model, options);
        EXPECT_EQ(automatic.compute_dtype().value(), faithful && faster ? fastest : DType::kF32);
        options.precision = Precision::kBF16;
        EXPECT_EQ(NeuralUpscaler("tiny", model, options).compute_dtype().value(), DType::kBF16);
        options.precision = Precision::kF32;
        EXPECT_EQ(NeuralUpscaler("tiny", model, options).compute_dtype().value(), DType::kF32);
      }
    }
  }
  EXPECT_EQ(parse_precision("auto").value(), Precision::kAuto);
  EXPECT_FALSE(parse_precision("fp16").is_ok());
}

}  // namespace
}  // namespace upres::pipeline
