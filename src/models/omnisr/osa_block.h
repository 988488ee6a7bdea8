// OSA_Block: OmniSR's omni self-attention block, the 13 layers of "<key>.layer": an MBConv with
// squeeze-excitation (0), block window attention (2), a gated conv feed-forward (4), channel
// attention within windows (5), feed-forward (6), grid window attention (8), feed-forward (10),
// channel attention across windows (11), feed-forward (12). Layers 1, 3, 7 and 9 are rearranges.
// Immutable after binding; thread-safe.
// Original: https://github.com/Francis0625/Omni-SR (ops/OSA.py, OSA_Block), as spandrel ships it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/attention/window_attention.h"
#include "models/omnisr/omnisr_layers.h"
#include "nn/state_dict.h"

namespace upres::models::omnisr {

class OSABlock {
 public:
  // `window`: the attention window side; `with_pe`: the attentions carry rel_pos_bias tables.
  static Result<OSABlock> bind(const nn::StateDict& weights, const std::string& key, int64_t channels, int window,
                               bool with_pe);

  // x: [1, C, H, W] with H and W multiples of the window -> [1, C, H, W].
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;

 private:
  // MBConv(expansion 1, shrinkage 0.25) with its residual.
  struct MBConv {
    Conv expand, depthwise, project;  // fn.0, fn.2, fn.5
    Conv squeeze, excite;             // fn.4.gate.1 / gate.3 (nn.Linear without bias, as 1x1 convs)
  };
  // PreNormResidual(nn.LayerNorm, Attention) over windows (block) or strided grids.
  struct WindowAttention {
    ChannelNorm norm;
    attention::MultiHeadWeights heads;
    engine::Tensor bias;  // [heads, N, N] or undefined
  };
  // Conv_PreNormResidual(LayerNorm2d, Gated_Conv_FeedForward).
  struct GatedFeedForward {
    ChannelNorm norm;
    Conv project_in, dwconv, project_out;
  };
  // Conv_PreNormResidual(LayerNorm2d, Channel_Attention / Channel_Attention_grid).
  struct ChannelAttention {
    ChannelNorm norm;
    Conv qkv, qkv_dwconv, project_out;
    std::vector<float> temperature;  // one per head
  };

  static Result<MBConv> bind_mbconv(const nn::StateDict& weights, const std::string& key, int64_t channels);
  static Result<WindowAttention> bind_window(const nn::StateDict& weights, const std::string& key, int64_t channels,
                                             int window, bool with_pe);
  static Result<GatedFeedForward> bind_feed_forward(const nn::StateDict& weights, const std::string& key,
                                                    int64_t channels);
  static Result<ChannelAttention> bind_channel(const nn::StateDict& weights, const std::string& key,
                                               int64_t channels);

  engine::Value mbconv(engine::Graph& graph, engine::Value x) const;
  engine::Value window_attention(engine::Graph& graph, engine::Value x, const WindowAttention& a, bool grid) const;
  engine::Value feed_forward(engine::Graph& graph, engine::Value x, const GatedFeedForward& f) const;
  engine::Value channel_attention(engine::Graph& graph, engine::Value x, const ChannelAttention& a, bool grid) const;

  int64_t channels_ = 0;
  int window_ = 8;
  MBConv mbconv_;
  WindowAttention block_attention_, grid_attention_;          // layer.2, layer.8
  GatedFeedForward feed_forward_[4];                          // layer.4, .6, .10, .12
  ChannelAttention channel_attention_, channel_grid_attention_;  // layer.5, layer.11
};

}  // namespace upres::models::omnisr
