// Shared by swinir_test.cpp and swin2sr_test.cpp: the PyTorch fixtures of
// tests/reference/swinir_torch.py (made once per script version), running a fixture case on every
// backend, and synthetic SwinIR / Swin2SR state-dict shapes for detection tests. Header-only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "family_fixtures.h"
#include "models/upscale_model.h"
#include "synthetic_weights.h"

namespace upres::models::testing {

inline constexpr double kSwinTolerance = 1e-4;

// The fixture set of tests/reference/swinir_torch.py: SwinIR's cases and Swin2SR's.
inline const FamilyFixtures& swin_fixtures() {
  static const auto* f = new FamilyFixtures("swinir_torch.py", "swinir_torch_fixtures", "");
  return *f;
}

// Fixture case `name` loaded through load_upscale_model: the manifest's architecture, size
// multiple 1, and every input on every backend within kSwinTolerance of PyTorch.
inline void expect_swin_case_matches_torch(const std::string& name) {
  const FamilyFixtures& f = swin_fixtures();
  const nlohmann::json* c = f.find("cases", name);
  ASSERT_NE(c, nullptr) << "manifest lacks " << name;
  auto model = load_upscale_model(f.dir() / c->at("file").get<std::string>());
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->architecture(), c->at("architecture").get<std::string>());
  EXPECT_EQ((*model)->size_multiple(), 1);
  f.expect_matches(**model, *c, kSwinTolerance);
}

// The key structure of a SwinIR (is_v2 false) or Swin2SR state dict, zero-filled shapes.
struct SwinShapes {
  bool is_v2 = false;
  int64_t dim = 16;
  std::vector<int> depths = {2};
  std::vector<int64_t> heads = {2};
  int window = 4;
  int64_t hidden = 32;
  std::string upsampler = "pixelshuffle";  // pixelshuffle, pixelshuffledirect, nearest+conv, pixelshuffle_aux, ""
  int scale = 2;
  bool three_conv = false;
  int64_t num_feat = 16;

  Shapes build() const {
    Shapes s;
    auto linear = [&](const std::string& key, int64_t in, int64_t out, bool bias = true) {
      s.push_back({key + ".weight", {out, in}});
      if (bias) s.push_back({key + ".bias", {out}});
    };
    auto norm = [&](const std::string& key) {
      s.push_back({key + ".weight", {dim}});
      s.push_back({key + ".bias", {dim}});
    };
    auto resi = [&](const std::string& key) {
      if (!three_conv) return add_conv(s, key, dim, dim);
      add_conv(s, key + ".0", dim, dim / 4);
      s.push_back({key + ".2.weight", {dim / 4, dim / 4, 1, 1}});
      s.push_back({key + ".2.bias", {dim / 4}});
      add_conv(s, key + ".4", dim / 4, dim);
    };
    auto point = [&](const std::string& key) {
      s.push_back({key + ".weight", {dim, dim, 1, 1}});
      s.push_back({key + ".bias", {dim}});
    };
    const int64_t n = int64_t{window} * window, table = int64_t{2 * window - 1} * (2 * window - 1);
    add_conv(s, "conv_first", 3, dim);
    if (is_v2) point("patch_embed.proj");
    norm("patch_embed.norm");
    for (size_t i = 0; i < depths.size(); ++i) {
      for (int j = 0; j < depths[i]; ++j) {
        const std::string b = "layers." + std::to_string(i) + ".residual_group.blocks." + std::to_string(j) + ".";
        norm(b + "norm1");
        if (is_v2) {
          s.push_back({b + "attn.logit_scale", {heads[i], 1, 1}});
          linear(b + "attn.cpb_mlp.0", 2, 512);
          linear(b + "attn.cpb_mlp.2", 512, heads[i], false);
          s.push_back({b + "attn.relative_coords_table", {1, 2 * window - 1, 2 * window - 1, 2}});
          s.push_back({b + "attn.q_bias", {dim}});
          s.push_back({b + "attn.v_bias", {dim}});
          linear(b + "attn.qkv", dim, 3 * dim, false);
        } else {
          s.push_back({b + "attn.relative_position_bias_table", {table, heads[i]}});
          linear(b + "attn.qkv", dim, 3 * dim);
        }
        s.push_back({b + "attn.relative_position_index", {n, n}});
        linear(b + "attn.proj", dim, dim);
        norm(b + "norm2");
        linear(b + "mlp.fc1", dim, hidden);
        linear(b + "mlp.fc2", hidden, dim);
        if (j % 2 == 1) s.push_back({b + "attn_mask", {64, n, n}});
      }
      resi("layers." + std::to_string(i) + ".conv");
      if (is_v2) point("layers." + std::to_string(i) + ".patch_embed.proj");
    }
    norm("norm");
    resi("conv_after_body");
    if (upsampler == "pixelshuffle" || upsampler == "pixelshuffle_aux") {
      add_conv(s, "conv_before_upsample.0", dim, num_feat);
      if (scale == 3) {
        add_conv(s, "upsample.0", num_feat, 9 * num_feat);
      } else {
        for (int i = 0; (2 << i) <= scale; ++i) add_conv(s, "upsample." + std::to_string(2 * i), num_feat, 4 * num_feat);
      }
      if (upsampler == "pixelshuffle_aux") {
        add_conv(s, "conv_bicubic", 3, num_feat);
        add_conv(s, "conv_aux", num_feat, 3);
        add_conv(s, "conv_after_aux.0", 3, num_feat);
      }
      add_conv(s, "conv_last", num_feat, 3);
    } else if (upsampler == "pixelshuffledirect") {
      add_conv(s, "upsample.0", dim, 3 * scale * scale);
    } else if (upsampler == "nearest+conv") {
      add_conv(s, "conv_before_upsample.0", dim, num_feat);
      for (int i = 1; (1 << i) <= scale; ++i) add_conv(s, "conv_up" + std::to_string(i), num_feat, num_feat);
      add_conv(s, "conv_hr", num_feat, num_feat);
      add_conv(s, "conv_last", num_feat, 3);
    } else {
      add_conv(s, "conv_last", dim, 3);
    }
    return s;
  }
};

// `shapes` with the entry `key` given `shape` (added when absent).
inline Shapes with_shape(Shapes shapes, const std::string& key, std::vector<int64_t> shape) {
  for (auto& [name, value] : shapes) {
    if (name == key) {
      value = std::move(shape);
      return shapes;
    }
  }
  shapes.push_back({key, std::move(shape)});
  return shapes;
}

}  // namespace upres::models::testing
