// Swin2SR: detection, binding (the weight-only parts of the attention folded into constants: the
// clamped temperature and the continuous position bias table) and the SwinV2 blocks' graph.
// Original: https://github.com/mv-lab/swin2sr/blob/main/models/network_swin2sr.py
#include "models/swinir/swin2sr.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "models/attention/window_attention.h"

namespace upres::models {
namespace {

using engine::Graph;
using engine::Shape;
using engine::Tensor;
using engine::Value;

// SwinV2's relative_coords_table for a w x w window: row a*(2w-1)+b holds the log-spaced
// (dy, dx) = (a - w + 1, b - w + 1) scaled to [-8, 8]: sign(v) * log2(|v| + 1) / log2(8).
std::vector<float> relative_coords_table(int window) {
  auto log_spaced = [&](int offset) {
    float v = static_cast<float>(offset) / static_cast<float>(window - 1) * 8.0f;
    const float sign = v > 0 ? 1.0f : (v < 0 ? -1.0f : 0.0f);
    return sign * std::log2(std::fabs(v) + 1.0f) / 3.0f;
  };
  const int side = 2 * window - 1;
  std::vector<float> table(static_cast<size_t>(side * side * 2));
  for (int a = 0; a < side; ++a) {
    for (int b = 0; b < side; ++b) {
      table[static_cast<size_t>((a * side + b) * 2)] = log_spaced(a - window + 1);
      table[static_cast<size_t>((a * side + b) * 2 + 1)] = log_spaced(b - window + 1);
    }
  }
  return table;
}

// cpb_mlp (Linear(2, hidden) -> ReLU -> Linear(hidden, heads, no bias)) over the coords table:
// [(2w-1)^2, heads].
Result<Tensor> position_bias_table(const nn::StateDict& weights, const std::string& key, int window, int64_t heads) {
  UPRES_ASSIGN_OR_RETURN(const int64_t hidden, weights.dim(key + ".0.weight", 0));
  if (hidden < 1 || hidden > 65536) return corrupt(key + ".0.weight: hidden width " + std::to_string(hidden));
  UPRES_ASSIGN_OR_RETURN(const Tensor w0, weights.tensor(key + ".0.weight", {hidden, 2}));
  UPRES_ASSIGN_OR_RETURN(const Tensor b0, weights.tensor(key + ".0.bias", {hidden}));
  UPRES_ASSIGN_OR_RETURN(const Tensor w2, weights.tensor(key + ".2.weight", {heads, hidden}));
  const std::vector<float> first = w0.to_f32(), first_bias = b0.to_f32(), second = w2.to_f32();
  const std::vector<float> coords = relative_coords_table(window);
  const size_t rows = coords.size() / 2;
  std::vector<float> table(rows * static_cast<size_t>(heads));
  std::vector<float> act(static_cast<size_t>(hidden));
  for (size_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < hidden; ++k) {
      const float y = first[k * 2] * coords[r * 2] + first[k * 2 + 1] * coords[r * 2 + 1] + first_bias[k];
      act[k] = std::max(y, 0.0f);
    }
    for (int64_t h = 0; h < heads; ++h) {
      double sum = 0.0;
      for (int64_t k = 0; k < hidden; ++k) sum += static_cast<double>(second[h * hidden + k]) * act[k];
      table[r * heads + h] = static_cast<float>(sum);
    }
  }
  return Tensor::from_f32(table, {static_cast<int64_t>(rows), heads});
}

}  // namespace

bool Swin2SR::matches(const nn::StateDict& weights) {
  const std::string block = swin::block_key(0, 0);
  return weights.has(block + "norm1.weight") && weights.has("patch_embed.proj.weight") &&
         weights.has("conv_first.weight") && weights.has(block + "mlp.fc1.bias") &&
         weights.has(block + "attn.relative_position_index") && weights.has(block + "attn.logit_scale") &&
         !weights.has("relative_position_index_SA");
}

Result<std::shared_ptr<const Swin2SR>> Swin2SR::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  if (!matches(state)) return unsupported("not a Swin2SR: keys " + state.key_sample(6));
  auto config = swin::FrameConfig::from_weights(state, /*is_v2=*/true, "logit_scale", 0);
  if (!config.is_ok()) return config.status().with_context("Swin2SR");
  std::shared_ptr<Swin2SR> net(new Swin2SR());
  UPRES_RETURN_IF_ERROR(net->bind(state, *config));
  return std::shared_ptr<const Swin2SR>(std::move(net));
}

Status Swin2SR::bind_attention(const nn::StateDict& weights, const std::string& key, int64_t dim, int window,
                               swin::WindowAttention& attn) {
  const int64_t heads = attn.heads;
  attn.cosine = true;
  UPRES_ASSIGN_OR_RETURN(const Tensor qkv, weights.tensor(key + "qkv.weight", {3 * dim, dim}));
  swin::split_qkv(qkv, Tensor(), 1.0f, attn);
  if (weights.has(key + "q_bias")) {  // qkv_bias=True: cat(q_bias, zeros, v_bias)
    UPRES_ASSIGN_OR_RETURN(attn.q.bias, weights.tensor(key + "q_bias", {dim}));
    UPRES_ASSIGN_OR_RETURN(attn.v.bias, weights.tensor(key + "v_bias", {dim}));
  }
  UPRES_ASSIGN_OR_RETURN(attn.proj, swin::Linear::bind(weights, key + "proj", dim, dim));

  UPRES_ASSIGN_OR_RETURN(const Tensor logit, weights.tensor(key + "logit_scale", {heads, 1, 1}));
  std::vector<float> scale = logit.to_f32();
  const float max_logit = std::log(100.0f);  // torch.clamp(logit_scale, max=log(1 / 0.01)).exp()
  for (float& v : scale) v = std::exp(std::min(v, max_logit));
  attn.temperature = *Tensor::from_f32(scale, {1, heads, 1});

  UPRES_ASSIGN_OR_RETURN(const Tensor table, position_bias_table(weights, key + "cpb_mlp", window, heads));
  UPRES_ASSIGN_OR_RETURN(const Tensor bias, attention::relative_position_bias(table, window, window));
  std::vector<float> values = bias.to_f32();
  for (float& v : values) v = 16.0f / (1.0f + std::exp(-v));
  const int64_t n = int64_t{window} * window;
  attn.bias = *Tensor::from_f32(values, {1, heads, n, n});
  return Status::ok();
}

Status Swin2SR::bind(const nn::StateDict& weights, const swin::FrameConfig& c) {
  UPRES_ASSIGN_OR_RETURN(frame_, swin::SwinFrame::bind(weights, c));
  const int64_t dim = c.embed_dim;
  for (size_t i = 0; i < c.depths.size(); ++i) {
    std::vector<Block> blocks;
    for (int j = 0; j < c.depths[i]; ++j) {
      const std::string key = swin::block_key(i, static_cast<size_t>(j));
      Block b;
      b.attn.heads = static_cast<int>(c.heads[i]);
      b.shift = j % 2 == 0 ? 0 : c.window / 2;
      UPRES_ASSIGN_OR_RETURN(b.norm1, swin::LayerNorm::bind(weights, key + "norm1", dim));
      UPRES_ASSIGN_OR_RETURN(b.norm2, swin::LayerNorm::bind(weights, key + "norm2", dim));
      UPRES_ASSIGN_OR_RETURN(b.mlp, swin::Mlp::bind(weights, key + "mlp", dim, c.mlp_hidden));
      UPRES_RETURN_IF_ERROR(bind_attention(weights, key + "attn.", dim, c.window, b.attn));
      blocks.push_back(std::move(b));
    }
    layers_.push_back(std::move(blocks));
  }
  return Status::ok();
}

// tokens: [1, h*w, C] -> [1, h*w, C]; mask: the shifted-window mask [nW, N, N] (shifted blocks).
Value Swin2SR::block(Graph& g, Value tokens, const Block& b, int64_t height, int64_t width, Value mask) const {
  const int ws = frame_.config().window;
  Value x = tokens;
  if (b.shift > 0) x = attention::roll(g, x, height, width, -b.shift, -b.shift);
  x = attention::window_partition(g, x, height, width, ws, ws);                  // [nW, N, C]
  x = b.attn(g, x, b.shift > 0 ? mask : Value{});
  x = attention::window_reverse(g, x, height, width, ws, ws);                    // [1, h*w, C]
  if (b.shift > 0) x = attention::roll(g, x, height, width, b.shift, b.shift);
  tokens = g.add(tokens, b.norm1(g, x));
  return g.add(tokens, b.norm2(g, b.mlp(g, tokens)));
}

Result<Graph> Swin2SR::build_graph(int height, int width) const {
  Value mask;  // one per graph, shared by every shifted block
  auto group = [&](Graph& g, Value tokens, size_t layer, int64_t h, int64_t w) {
    const int ws = frame_.config().window;
    if (!mask.is_valid()) mask = g.constant(attention::shifted_window_mask(h, w, ws, ws / 2));
    for (const Block& b : layers_[layer]) tokens = block(g, tokens, b, h, w, mask);
    return tokens;
  };
  return frame_.build_graph(height, width, group, "Swin2SR");
}

}  // namespace upres::models
