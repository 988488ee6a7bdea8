// HAT's two attention blocks: the Hybrid Attention Block (window self-attention, shifted in odd
// blocks with Swin's mask, plus a channel-attention conv block CAB scaled by conv_scale) and the
// Overlapping Cross-Attention Block (queries from ws x ws windows, keys and values from
// overlapping ows x ows windows, nn.Unfold with zero padding). Immutable after binding.
// Original: https://github.com/XPixelGroup/HAT (hat/archs/hat_arch.py)
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/attention/window_attention.h"
#include "models/dat/shared_constants.h"
#include "models/dat/token_layers.h"
#include "nn/state_dict.h"

namespace upres::models::hat {

struct Windows {
  int size = 16;          // window_size
  int overlap_size = 24;  // int(window_size * overlap_ratio) + window_size
};

// HAB ("layers.i.residual_group.blocks.j").
class HybridAttentionBlock {
 public:
  static Result<HybridAttentionBlock> bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                           int heads, bool qkv_bias, int window, bool shifted);
  // x: [1, H*W, C] -> [1, H*W, C]; H, W multiples of the window. `mask`: the shifted-window mask
  // value [nW, N, N] (used by shifted blocks).
  engine::Value operator()(engine::Graph& graph, engine::Value x, int64_t height, int64_t width,
                           engine::Value mask) const;

 private:
  int window_ = 16;
  bool shifted_ = false;
  tokens::LayerNorm norm1_, norm2_;
  attention::MultiHeadWeights attn_;
  engine::Tensor position_bias_;  // [heads, N, N]
  tokens::Conv cab0_, cab2_;      // conv_block.cab.0 (C -> C/compress), cab.2 (back to C)
  tokens::Conv squeeze_, excite_; // conv_block.cab.3.attention.1 / .3
  tokens::Linear fc1_, fc2_;      // mlp
};

// OCAB ("layers.i.residual_group.overlap_attn").
class OverlapCrossAttention {
 public:
  static Result<OverlapCrossAttention> bind(const nn::StateDict& weights, const std::string& prefix, int64_t dim,
                                            int heads, bool qkv_bias, Windows windows);
  // The zero padding of the k/v map comes from `shared`, one per graph for every OCAB.
  engine::Value operator()(engine::Graph& graph, tokens::SharedConstants& shared, engine::Value x, int64_t height,
                           int64_t width) const;

 private:
  // nn.Unfold(ows, stride ws, padding (ows - ws) / 2) of a [1, H*W, C] map, as windows
  // [nW, ows*ows, C] in row-major window order.
  engine::Value overlapping_windows(engine::Graph& graph, tokens::SharedConstants& shared, engine::Value map,
                                    int64_t height, int64_t width) const;

  Windows windows_;
  int heads_ = 1;
  int64_t dim_ = 0;
  tokens::LayerNorm norm1_, norm2_;
  tokens::Linear qkv_;            // q rows pre-multiplied by head_dim ** -0.5
  tokens::Linear proj_;
  engine::Tensor position_bias_;  // [heads, ws*ws, ows*ows]
  tokens::Linear fc1_, fc2_;
};

// HAT's relative_position_index_OCA for query window ws and key window ows: entry [i * ows^2 + j],
// negative values wrapped by the table length as PyTorch's indexing does.
std::vector<int64_t> overlap_position_index(int window, int overlap_window);

}  // namespace upres::models::hat
