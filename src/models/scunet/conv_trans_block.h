// ConvTransBlock: SCUNet's Swin-Conv block. A 1x1 conv splits the features into a residual conv
// branch (3x3, ReLU, 3x3) and a window-transformer branch (LayerNorm, window self-attention 'W' or
// shifted 'SW', LayerNorm, GELU MLP), which a second 1x1 conv fuses back onto the input. Bound by
// state-dict key with every shape checked. Immutable after binding; thread-safe.
// Original: https://github.com/cszn/SCUNet/blob/main/models/network_scunet.py (WMSA, Block,
// ConvTransBlock)
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/attention/window_attention.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"

namespace upres::models::scunet {

// Every published SCUNet uses 8x8 windows; shifted blocks roll by half a window.
inline constexpr int kWindow = 8;
inline constexpr int kShift = kWindow / 2;

class ConvTransBlock {
 public:
  ConvTransBlock() = default;

  // Binds "<key>.conv1_1", "<key>.conv1_2", "<key>.conv_block.{0,2}" and "<key>.trans_block.*" for
  // `half` conv channels + `half` transformer channels. The head count comes from
  // trans_block.msa.relative_position_params, [heads, 2*kWindow-1, 2*kWindow-1] (or flat
  // [(2*kWindow-1)^2, heads]), and must divide `half`. Corrupt / NotFound naming the key otherwise.
  static Result<ConvTransBlock> bind(const nn::StateDict& weights, const std::string& key, int64_t half,
                                     bool shifted);

  // x: [1, 2*half, h, w] -> same shape; h and w multiples of kWindow. `mask`: the graph value of
  // the shifted-window mask for this h x w ([nW, N, N], -inf across sub-windows), read only by
  // shifted blocks.
  engine::Value operator()(engine::Graph& graph, engine::Value x, engine::Value mask) const;

  bool is_shifted() const { return shifted_; }
  int heads() const { return msa_.heads; }

 private:
  // The transformer branch on tokens [1, h*w, half].
  engine::Value transformer(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width,
                            engine::Value mask) const;

  std::string key_;
  int64_t half_ = 0;
  bool shifted_ = false;
  nn::Conv2d conv1_1_;
  nn::Conv2d conv1_2_;
  nn::Conv2d conv_block_0_;
  nn::Conv2d conv_block_2_;
  engine::Tensor ln1_weight_, ln1_bias_;
  engine::Tensor ln2_weight_, ln2_bias_;
  attention::MultiHeadWeights msa_;   // embedding_layer (qkv) and linear (proj)
  engine::Tensor relative_bias_;      // [heads, N, N], from relative_position_params
  engine::Tensor mlp0_weight_, mlp0_bias_;  // [4*half, half], [4*half]
  engine::Tensor mlp2_weight_, mlp2_bias_;  // [half, 4*half], [half]
};

// SCUNet's generate_mask for an h x w map (multiples of kWindow): [nW, N, N], 0 within a sub-window
// of the rolled map, -inf across (masked_fill(-inf) in the original).
engine::Tensor shifted_window_mask(int64_t height, int64_t width);

}  // namespace upres::models::scunet
