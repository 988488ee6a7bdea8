// The ncnn graph model's detected scale and host conventions against the table of the ncnn-vulkan
// programs (model-formats.md 1.5: realcugan-ncnn-vulkan prepadding 18/14/19 reflect, align 2/4/2,
// 4x adds the nearest input; waifu2x-ncnn-vulkan cunet 18 (28 at scale 1), upconv_7 7, replicate),
// and the errors for layers upres cannot run.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "models/ncnn_upscale_model.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;
using Family = NcnnHostConvention::Family;

struct ConventionCase {
  std::string param;  // relative to .cache/npm/waifu2x-1.6.5/package/
  Family family;
  int scale;
  int prepadding_px;
  int multiple;
  engine::PadMode border;
  bool add_nearest_input;
};

class NcnnHostConventionTest : public testing::TestWithParam<ConventionCase> {};

TEST_P(NcnnHostConventionTest, MatchesTheHostProgram) {
  const ConventionCase& c = GetParam();
  fs::path param = fs::path(UPRES_SOURCE_DIR) / ".cache/npm/waifu2x-1.6.5/package" / c.param;
  if (!fs::exists(param)) GTEST_SKIP() << param << " absent (run scripts/setup.d/models.sh)";
  auto model = NcnnUpscaleModel::load(param);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const NcnnHostConvention& got = (*model)->convention();
  EXPECT_EQ(got.family_name(), NcnnHostConvention{.family = c.family}.family_name());
  EXPECT_EQ((*model)->scale(), c.scale);
  EXPECT_EQ(got.prepadding_px, c.prepadding_px);
  EXPECT_EQ(got.multiple, c.multiple);
  if (c.prepadding_px > 0) {
    EXPECT_EQ(got.border, c.border);
  }
  EXPECT_EQ(got.add_nearest_input, c.add_nearest_input);
  EXPECT_EQ((*model)->architecture(), "ncnn graph");
  // Any size works, including ones off the alignment and smaller than the pre-padding.
  for (int size : {1, 7, 13, 30}) {
    auto graph = (*model)->build_graph(size, size + 1);
    ASSERT_TRUE(graph.is_ok()) << size << ": " << graph.status().to_string();
    EXPECT_EQ(graph->shape(graph->outputs()[0]),
              (engine::Shape{1, 3, int64_t{size} * c.scale, int64_t{size + 1} * c.scale}));
  }
}

constexpr auto kReflect = engine::PadMode::kReflect;
constexpr auto kReplicate = engine::PadMode::kReplicate;

INSTANTIATE_TEST_SUITE_P(
    NpmModels, NcnnHostConventionTest,
    testing::Values(
        ConventionCase{"real-cugan/models-se/up2x-conservative.param", Family::kRealCugan, 2, 18, 2, kReflect, false},
        ConventionCase{"real-cugan/models-se/up3x-no-denoise.param", Family::kRealCugan, 3, 14, 4, kReflect, false},
        ConventionCase{"real-cugan/models-se/up4x-denoise3x.param", Family::kRealCugan, 4, 19, 2, kReflect, true},
        ConventionCase{"waifu2x/models-cunet/scale2.0x_model.param", Family::kWaifu2x, 2, 18, 2, kReplicate, false},
        ConventionCase{"waifu2x/models-cunet/noise2_model.param", Family::kWaifu2x, 1, 28, 4, kReplicate, false},
        ConventionCase{"waifu2x/models-upconv_7_anime_style_art_rgb/noise1_scale2.0x_model.param",
                       Family::kWaifu2x, 2, 7, 2, kReplicate, false},
        ConventionCase{"real-esrgan/models/realesr-animevideov3-x2.param", Family::kPlain, 2, 0, 1, kReflect, false},
        ConventionCase{"real-esrgan/models/realesr-animevideov3-x3.param", Family::kPlain, 3, 0, 1, kReflect, false},
        ConventionCase{"real-esrgan/models/realesrgan-x4plus-anime.param", Family::kPlain, 4, 0, 1, kReflect, false}));

// A .param/.bin pair in a fresh temp folder.
fs::path write_model(const std::string& name, const std::string& param, const std::vector<float>& weights) {
  fs::path dir = fs::temp_directory_path() / ("upres_ncnn_" + name + "_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  std::ofstream(dir / "model.param") << param;
  std::ofstream bin(dir / "model.bin", std::ios::binary);
  uint32_t fp32_tag = 0;
  bin.write(reinterpret_cast<const char*>(&fp32_tag), 4);
  bin.write(reinterpret_cast<const char*>(weights.data()), static_cast<std::streamsize>(weights.size() * 4));
  return dir / "model.param";
}

TEST(NcnnUpscaleModelTest, UnknownLayerIsUnsupportedNamingTypeAndLayer) {
  fs::path param = write_model("softmax",
                               "7767517\n3 3\nInput in 0 1 data\nSoftmax my_softmax 1 1 data a\n"
                               "Convolution conv 1 1 a out 0=3 1=1 6=9\n",
                               std::vector<float>(9, 0.5f));
  auto model = load_ncnn_upscale_model(param);
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("Softmax"), std::string::npos) << model.status().message();
  EXPECT_NE(model.status().message().find("my_softmax"), std::string::npos) << model.status().message();
  fs::remove_all(param.parent_path());
}

TEST(NcnnUpscaleModelTest, GraphThatIsNotAnUpscalerIsRejected) {
  // A stride-2 convolution halves the image: no integer scale.
  fs::path param = write_model("halving", "7767517\n2 2\nInput in 0 1 data\nConvolution conv 1 1 data out 0=3 1=1 3=2 6=9\n",
                               std::vector<float>(9, 0.5f));
  auto model = load_ncnn_upscale_model(param);
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported) << model.status().to_string();
  fs::remove_all(param.parent_path());
}

TEST(NcnnUpscaleModelTest, MissingBinIsAnError) {
  fs::path dir = fs::temp_directory_path() / "upres_ncnn_missing_bin";
  fs::create_directories(dir);
  std::ofstream(dir / "model.param") << "7767517\n1 1\nInput in 0 1 data\n";
  auto model = load_ncnn_upscale_model(dir / "model.param");
  EXPECT_FALSE(model.is_ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace upres::models
