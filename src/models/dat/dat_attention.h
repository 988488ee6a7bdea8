// DAT's two attention modules with their Adaptive Interaction Module (AIM): the spatial-window
// self-attention (two branches of rectangular windows, H x W and W x H, on the two channel halves,
// shifted with masks in some blocks, bias from the DynamicPosBias MLP) and the channel
// self-attention (XCiT-style, L2-normalised q and k over tokens, per-head temperature). Both add a
// depthwise-conv branch of v and gate the two branches with each other. Immutable after binding.
// Original: https://github.com/zhengchen1999/DAT (basicsr/archs/dat_arch.py)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/dat/shared_constants.h"
#include "models/dat/token_layers.h"
#include "nn/state_dict.h"

namespace upres::models::dat {

// The AIM's convolution branch and its two interaction maps ("dwconv", "channel_interaction",
// "spatial_interaction" of both attention modules).
struct InteractionModule {
  tokens::Conv dwconv;             // dwconv.0: depthwise 3x3, then dwconv.1 BN and GELU
  tokens::BatchNorm2d dwconv_bn;
  tokens::Conv channel_reduce;     // channel_interaction.1 (after the global average), .2 BN, GELU
  tokens::BatchNorm2d channel_bn;
  tokens::Conv channel_expand;     // channel_interaction.4
  tokens::Conv spatial_reduce;     // spatial_interaction.0, .1 BN, GELU
  tokens::BatchNorm2d spatial_bn;
  tokens::Conv spatial_expand;     // spatial_interaction.3 -> 1 channel

  static Result<InteractionModule> bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim);
  // v_image: [1, C, H, W] -> the conv branch, GELU(BN(dwconv(v))).
  engine::Value conv_branch(engine::Graph& graph, engine::Value v_image) const;
  // [1, C, H, W] -> [1, C, 1, 1] channel map (before the sigmoid).
  engine::Value channel_map(engine::Graph& graph, engine::Value image) const;
  // [1, C, H, W] -> [1, 1, H, W] spatial map (before the sigmoid).
  engine::Value spatial_map(engine::Graph& graph, engine::Value image) const;
};

struct SpatialWindows {
  std::array<int, 2> split{};  // split_size: window-0 is split[0] x split[1], window-1 the transpose
  bool shifted = false;        // rolled by split / 2 with the shifted-window masks
};

// Adaptive_Spatial_Attention ("layers.i.blocks.j.attn" of an even block j).
class SpatialAttention {
 public:
  static Result<SpatialAttention> bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                       int heads, bool qkv_bias, SpatialWindows windows);
  // x: [1, H*W, C] (after norm1) -> [1, H*W, C]. The masks and paddings come from `shared`, one
  // per graph for all spatial blocks.
  engine::Value operator()(engine::Graph& graph, tokens::SharedConstants& shared, engine::Value x, int64_t height,
                           int64_t width) const;

 private:
  engine::Value branch(engine::Graph& graph, tokens::SharedConstants& shared, engine::Value qkv, int index,
                       int64_t padded_h, int64_t padded_w) const;

  int64_t dim_ = 0;
  int branch_heads_ = 0;       // heads // 2 per branch
  SpatialWindows windows_;
  tokens::Linear qkv_;         // q rows pre-multiplied by head_dim ** -0.5
  tokens::Linear proj_;
  std::array<engine::Tensor, 2> position_bias_;  // [branch_heads, N, N] per branch, from DynamicPosBias
  InteractionModule aim_;
};

// Adaptive_Channel_Attention ("layers.i.blocks.j.attn" of an odd block j).
class ChannelAttention {
 public:
  static Result<ChannelAttention> bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                       int heads, bool qkv_bias);
  // x: [1, H*W, C] (after norm1) -> [1, H*W, C]
  engine::Value operator()(engine::Graph& graph, engine::Value x, int64_t height, int64_t width) const;

 private:
  int64_t dim_ = 0;
  int heads_ = 0;
  std::vector<float> temperature_;  // [heads]
  tokens::Linear qkv_;
  tokens::Linear proj_;
  InteractionModule aim_;
};

}  // namespace upres::models::dat
