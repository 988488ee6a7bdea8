// Architecture detection and configuration from state-dict keys and shapes, on in-memory weight
// maps: which architecture, which hyper-parameters, and the errors for what upres cannot run.
#include "models/architecture_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "models/rrdbnet.h"
#include "models/srvgg_net_compact.h"
#include "nn/state_dict.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

using testing::add_conv;
using testing::basicsr_rrdbnet;
using testing::compact;
using testing::make_weights;
using testing::Shapes;

TEST(ArchitectureRegistry, DetectsRRDBNetAndReadsItsConfig) {
  const weights::WeightMap map = make_weights(basicsr_rrdbnet(20, 10, 3, 3));
  auto entry = detect_architecture(nn::StateDict(map));
  ASSERT_TRUE(entry.is_ok()) << entry.status().to_string();
  EXPECT_EQ((*entry)->name, "RRDBNet");
  auto config = RRDBNet::Config::from_weights(nn::StateDict(map));
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  EXPECT_EQ(config->num_feat, 20);
  EXPECT_EQ(config->num_grow_ch, 10);
  EXPECT_EQ(config->num_block, 3);
  EXPECT_EQ(config->num_upsample, 3);
  EXPECT_EQ(config->scale(), 8);
}

TEST(ArchitectureRegistry, RRDBNetUnshuffleFromInputChannels) {
  for (auto [in, unshuffle, scale] : {std::tuple{12, 2, 2}, std::tuple{48, 4, 1}}) {
    const weights::WeightMap map = make_weights(basicsr_rrdbnet(8, 4, 1, 2, in));
    auto model = load_torch_upscale_model(map, "x.pth");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->scale(), scale);
    EXPECT_EQ((*model)->size_multiple(), unshuffle);
    EXPECT_FALSE((*model)->build_graph(8, 7).is_ok()) << "7 is no multiple of " << unshuffle;
    EXPECT_TRUE((*model)->build_graph(8, 12).is_ok());
  }
}

TEST(ArchitectureRegistry, RRDBNetScaleBelowOneIsUnsupported) {
  const weights::WeightMap map = make_weights(basicsr_rrdbnet(8, 4, 1, 1, 48));  // unshuffle 4, one 2x stage
  auto model = load_torch_upscale_model(map, "half.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("below 1"), std::string::npos) << model.status().to_string();
}

TEST(ArchitectureRegistry, WrongShapeNamesTheTensor) {
  Shapes s = basicsr_rrdbnet(8, 4, 1, 2);
  for (auto& [name, shape] : s) {
    if (name == "body.0.rdb2.conv3.weight") shape = {4, 15, 3, 3};
  }
  const weights::WeightMap map = make_weights(s);
  auto model = load_torch_upscale_model(map, "bad.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(model.status().message().find("body.0.rdb2.conv3.weight"), std::string::npos);
  EXPECT_NE(model.status().message().find("[4, 16, 3, 3]"), std::string::npos) << model.status().to_string();
}

TEST(ArchitectureRegistry, MissingTensorNamesTheKey) {
  Shapes s = basicsr_rrdbnet(8, 4, 2, 2);
  std::erase_if(s, [](const auto& entry) { return entry.first == "body.1.rdb3.conv5.bias"; });
  const weights::WeightMap map = make_weights(s);
  auto model = load_torch_upscale_model(map, "short.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("body.1.rdb3.conv5.bias"), std::string::npos) << model.status().to_string();
}

TEST(ArchitectureRegistry, CompactWithAndWithoutPrelu) {
  const weights::WeightMap prelu = make_weights(compact(16, 5, 3, true));
  auto a = SRVGGNetCompact::Config::from_weights(nn::StateDict(prelu));
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->num_conv, 5);
  EXPECT_EQ(a->upscale, 3);
  EXPECT_EQ(a->act_type, SRVGGNetCompact::ActType::kPrelu);

  const weights::WeightMap plain = make_weights(compact(16, 2, 2, false));
  auto entry = detect_architecture(nn::StateDict(plain));
  ASSERT_TRUE(entry.is_ok()) << entry.status().to_string();
  EXPECT_EQ((*entry)->name, "SRVGGNetCompact");
  auto b = SRVGGNetCompact::Config::from_weights(nn::StateDict(plain));
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->act_type, SRVGGNetCompact::ActType::kLeakyRelu);  // the documented default
  auto c = SRVGGNetCompact::Config::from_weights(nn::StateDict(plain), SRVGGNetCompact::ActType::kRelu);
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->act_type, SRVGGNetCompact::ActType::kRelu);
}

TEST(ArchitectureRegistry, KnownArchitecturesAreNamed) {
  const std::vector<std::pair<Shapes, std::string>> cases = {
      {{{"to_feat.weight", {8, 3, 3, 3}}, {"feats.0.safm.aggr.weight", {8, 8, 1, 1}}},
       "SAFMN is not supported yet"},
      {{{"toRGB.0.weight", {3, 8, 1, 1}}, {"stylegan_decoder.style_mlp.1.weight", {8, 8}}},
       "GFPGAN is not supported yet"},
      {{{"model.0.weight", {8, 3, 3, 3}}, {"model.1.sub.0.RDB1.conv1.0.weight", {4, 8, 3, 3}},
        {"model.1.sub.0.RDB1.conv1x1.weight", {4, 8, 1, 1}}},
       "ESRGAN+ is not supported yet"},
  };
  for (const auto& [shapes, message] : cases) {
    const weights::WeightMap map = make_weights(shapes);
    auto model = load_torch_upscale_model(map, "m.pth");
    ASSERT_FALSE(model.is_ok());
    EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(model.status().message().find(message), std::string::npos) << model.status().to_string();
  }
}

TEST(ArchitectureRegistry, UnknownKeysAreShown) {
  const weights::WeightMap map = make_weights({{"encoder.stem.weight", {8, 3, 3, 3}}, {"head.bias", {3}}});
  auto model = load_torch_upscale_model(map, "mystery.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("mystery.pth"), std::string::npos);
  EXPECT_NE(model.status().message().find("encoder.stem.weight"), std::string::npos) << model.status().to_string();
}

TEST(ArchitectureRegistry, OldArchWithBrokenSequenceIsCorrupt) {
  Shapes s;
  add_conv(s, "model.0", 3, 8);
  for (int r = 1; r <= 3; ++r) {
    for (int c = 1; c <= 5; ++c) {
      add_conv(s, "model.1.sub.0.RDB" + std::to_string(r) + ".conv" + std::to_string(c) + ".0", 8 + (c - 1) * 4,
               c < 5 ? 4 : 8);
    }
  }
  add_conv(s, "model.1.sub.1", 8, 8);
  add_conv(s, "model.3", 8, 8);
  add_conv(s, "model.6", 8, 3);  // length 7: not 5 + 3k
  const weights::WeightMap map = make_weights(s);
  auto model = load_torch_upscale_model(map, "odd.pth");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(model.status().message().find("model.*"), std::string::npos) << model.status().to_string();
}

}  // namespace
}  // namespace upres::models
