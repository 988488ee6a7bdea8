// SwinIR: detection, binding and the Swin blocks' graph (the frame around them is SwinFrame).
// Original: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
#include "models/swinir/swinir.h"

#include <cmath>
#include <utility>

namespace upres::models {

using engine::Graph;
using engine::Value;

bool SwinIR::matches(const nn::StateDict& weights) {
  const std::string block = swin::block_key(0, 0);
  return weights.has(block + "norm1.weight") &&
         (weights.has("conv_first.weight") || weights.has("conv_first.1.weight")) &&
         weights.has(block + "mlp.fc1.bias") && weights.has(block + "attn.relative_position_index") &&
         weights.has(block + "attn.relative_position_bias_table") && !weights.has("patch_embed.proj.weight") &&
         !weights.has(block + "attn.logit_scale") && !weights.has("relative_position_index_SA");
}

Result<std::shared_ptr<const SwinIR>> SwinIR::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  if (!matches(state)) return unsupported("not a SwinIR: keys " + state.key_sample(6));
  auto config = swin::FrameConfig::from_weights(state, /*is_v2=*/false, "relative_position_bias_table", 1);
  if (!config.is_ok()) return config.status().with_context("SwinIR");
  std::shared_ptr<SwinIR> net(new SwinIR());
  UPRES_RETURN_IF_ERROR(net->bind(state, *config));
  return std::shared_ptr<const SwinIR>(std::move(net));
}

Status SwinIR::bind(const nn::StateDict& weights, const swin::FrameConfig& c) {
  UPRES_ASSIGN_OR_RETURN(frame_, swin::SwinFrame::bind(weights, c));
  const int64_t dim = c.embed_dim, table_rows = int64_t{2 * c.window - 1} * (2 * c.window - 1);
  for (size_t i = 0; i < c.depths.size(); ++i) {
    std::vector<Block> blocks;
    for (int j = 0; j < c.depths[i]; ++j) {
      const std::string key = swin::block_key(i, static_cast<size_t>(j));
      Block b;
      b.shift = j % 2 == 0 ? 0 : c.window / 2;
      UPRES_ASSIGN_OR_RETURN(b.norm1, swin::LayerNorm::bind(weights, key + "norm1", dim));
      UPRES_ASSIGN_OR_RETURN(b.norm2, swin::LayerNorm::bind(weights, key + "norm2", dim));
      UPRES_ASSIGN_OR_RETURN(b.mlp, swin::Mlp::bind(weights, key + "mlp", dim, c.mlp_hidden));
      UPRES_ASSIGN_OR_RETURN(swin::Linear qkv, swin::Linear::bind(weights, key + "attn.qkv", dim, 3 * dim));
      UPRES_ASSIGN_OR_RETURN(b.attn.proj, swin::Linear::bind(weights, key + "attn.proj", dim, dim));
      const attention::MultiHeadWeights checked{.qkv_weight = qkv.weight, .qkv_bias = qkv.bias,
                                                .proj_weight = b.attn.proj.weight, .proj_bias = b.attn.proj.bias,
                                                .heads = static_cast<int>(c.heads[i])};
      UPRES_RETURN_IF_ERROR(attention::check_multi_head_weights(checked, dim).with_context(key + "attn"));
      b.attn.heads = checked.heads;
      swin::split_qkv(qkv.weight, qkv.bias, 1.0f / std::sqrt(static_cast<float>(dim / c.heads[i])), b.attn);
      UPRES_ASSIGN_OR_RETURN(engine::Tensor table,
                             weights.tensor(key + "attn.relative_position_bias_table", {table_rows, c.heads[i]}));
      UPRES_ASSIGN_OR_RETURN(engine::Tensor bias, attention::relative_position_bias(table, c.window, c.window));
      const int64_t n = int64_t{c.window} * c.window;
      b.attn.bias = *engine::Tensor::from_f32(bias.to_f32(), {1, c.heads[i], n, n});
      blocks.push_back(std::move(b));
    }
    layers_.push_back(std::move(blocks));
  }
  return Status::ok();
}

// tokens: [1, h*w, C] -> [1, h*w, C]; mask: the shifted-window mask [nW, N, N] (shifted blocks).
Value SwinIR::block(Graph& g, Value tokens, const Block& b, int64_t height, int64_t width, Value mask) const {
  const int ws = frame_.config().window;
  Value x = b.norm1(g, tokens);
  if (b.shift > 0) x = attention::roll(g, x, height, width, -b.shift, -b.shift);
  x = attention::window_partition(g, x, height, width, ws, ws);                  // [nW, N, C]
  x = b.attn(g, x, b.shift > 0 ? mask : Value{});
  x = attention::window_reverse(g, x, height, width, ws, ws);                    // [1, h*w, C]
  if (b.shift > 0) x = attention::roll(g, x, height, width, b.shift, b.shift);
  tokens = g.add(tokens, x);
  return g.add(tokens, b.mlp(g, b.norm2(g, tokens)));
}

Result<Graph> SwinIR::build_graph(int height, int width) const {
  Value mask;  // one per graph (every group sees the same padded size), shared by the shifted blocks
  auto group = [&](Graph& g, Value tokens, size_t layer, int64_t h, int64_t w) {
    const int ws = frame_.config().window;
    if (!mask.is_valid()) mask = g.constant(attention::shifted_window_mask(h, w, ws, ws / 2));
    for (const Block& b : layers_[layer]) tokens = block(g, tokens, b, h, w, mask);
    return tokens;
  };
  return frame_.build_graph(height, width, group, "SwinIR");
}

}  // namespace upres::models
