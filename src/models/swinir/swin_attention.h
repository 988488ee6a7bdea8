// WindowAttention: the multi-head attention over windows [B_, N, C] of SwinIR (scaled dot product
// plus a relative position bias) and Swin2SR (SwinV2's cosine similarity times a per-head
// temperature plus a continuous position bias), with q, k and v as three linears on the split qkv
// weight. A local variant of models/attention/window_attention.h's window_attention that adds the
// shifted-window mask as a rank-4 broadcast (one image per graph), which oneDNN runs in a jit
// kernel, where the rank-5 form fell to its ref:any binary (~250 ms per call at 64x64, SwinIR-L).
// Immutable after binding; thread-safe.
#pragma once

#include <cstdint>

#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/swinir/swin_layers.h"

namespace upres::models::swin {

struct WindowAttention {
  Linear q;                     // SwinIR: scaled by head_dim^-0.5; Swin2SR: bias q_bias
  Linear k;                     // Swin2SR: no bias
  Linear v;                     // Swin2SR: bias v_bias
  Linear proj;
  int heads = 1;
  bool cosine = false;          // Swin2SR: normalize(q) . normalize(k) * temperature
  engine::Tensor temperature;   // cosine only: [1, heads, 1], exp(min(logit_scale, log 100))
  engine::Tensor bias;          // [1, heads, N, N], added to the scores

  // windows: [B_, N, C] -> [B_, N, C]; mask: [nW, N, N] or an invalid Value (no shift).
  engine::Value operator()(engine::Graph& graph, engine::Value windows, engine::Value mask) const;
};

// q, k, v from a [3C, C] qkv weight (rows q, k, v), each row block times its factor, with biases
// from a [3C] qkv bias (or undefined tensors).
void split_qkv(const engine::Tensor& weight, const engine::Tensor& bias, float q_factor, WindowAttention& attn);

}  // namespace upres::models::swin
