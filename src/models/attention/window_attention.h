// Swin-style window attention as engine graph pieces, shared by the window-attention families
// (SwinIR, Swin2SR, HAT, SCUNet, DAT's rectangles): windows over a token map, torch.roll, the
// relative position bias and the shifted-window mask of Liu et al. 2021 ("Swin Transformer"),
// computed exactly as the original code does. Free functions; thread-compatible.
// Original semantics: https://github.com/microsoft/Swin-Transformer (models/swin_transformer.py)
// and SwinIR's copy of it (models/network_swinir.py).
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"

namespace upres::models::attention {

// A token map is [B, H*W, C] with tokens in row-major order (PyTorch's x.view(B, H, W, C)).

// window_partition(x.view(B, H, W, C), (wh, ww)).view(-1, wh*ww, C): [B * (H/wh) * (W/ww), wh*ww, C],
// windows in row-major order. Requires: height % window_h == 0, width % window_w == 0.
engine::Value window_partition(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width,
                               int window_h, int window_w);
// The inverse of window_partition: [B * nW, wh*ww, C] -> [B, H*W, C].
engine::Value window_reverse(engine::Graph& graph, engine::Value windows, int64_t height, int64_t width,
                             int window_h, int window_w);

// torch.roll(x.view(B, H, W, C), shifts=(shift_h, shift_w), dims=(1, 2)).view(B, H*W, C); shifts of
// either sign.
engine::Value roll(engine::Graph& graph, engine::Value tokens, int64_t height, int64_t width, int shift_h,
                   int shift_w);

// Swin's relative_position_index for a wh x ww window: entry [i * N + j] (N = wh*ww) indexes the
// (2wh-1)*(2ww-1)-row bias table for query token i and key token j.
std::vector<int64_t> relative_position_index(int window_h, int window_w);

// table[relative_position_index].view(N, N, heads).permute(2, 0, 1): [heads, N, N] from a table
// [(2wh-1)*(2ww-1), heads]. Corrupt when the table's shape does not fit the window.
Result<engine::Tensor> relative_position_bias(const engine::Tensor& table, int window_h, int window_w);

// SwinIR's calculate_mask for a height x width map (multiples of `window`) shifted by `shift`:
// [nW, N, N], 0 where query and key come from the same region of the rolled map, `masked` where not.
engine::Tensor shifted_window_mask(int64_t height, int64_t width, int window, int shift, float masked = -100.0f);

// nn.Linear(C, 3C) "qkv" and nn.Linear(C, C) "proj" of a multi-head attention with `heads` heads.
struct MultiHeadWeights {
  engine::Tensor qkv_weight;   // [3C, C]: q rows, then k, then v
  engine::Tensor qkv_bias;     // [3C] or undefined
  engine::Tensor proj_weight;  // [C, C]
  engine::Tensor proj_bias;    // [C] or undefined
  int heads = 1;
  float scale = 0.0f;          // q is multiplied by this; 0 means head_dim ** -0.5
};

// Checks `weights` against `channels`: shapes, heads > 0 dividing channels. InvalidArgument/Corrupt.
Status check_multi_head_weights(const MultiHeadWeights& weights, int64_t channels);

// Swin's WindowAttention.forward: softmax(q k^T * scale + bias [+ mask]) v, then proj, on windows
// [B_, N, C]. `bias` is a graph value [heads, N, N] (invalid Value: none); `mask` a graph value
// [nW, N, N] (invalid: none) added per window, B_ a multiple of nW. Requires: check_multi_head_weights.
engine::Value window_attention(engine::Graph& graph, engine::Value windows, const MultiHeadWeights& weights,
                               engine::Value bias, engine::Value mask);

}  // namespace upres::models::attention
