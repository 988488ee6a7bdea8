// CodeFormerTransformer: configuration from weight shapes, binding, and the graph from latent
// tokens to codebook logits.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
#include "models/codeformer_transformer.h"

#include <cmath>
#include <span>
#include <utility>

namespace upres::models {
namespace {

constexpr float kLayerNormEps = 1e-5f;  // nn.LayerNorm default

// Rows [part * rows, (part + 1) * rows) of a row-major [3 * rows, cols] (or [3 * rows]) tensor.
Result<engine::Tensor> third(const engine::Tensor& packed, int part) {
  const int64_t rows = packed.dim(0) / 3;
  const int64_t cols = packed.rank() == 2 ? packed.dim(1) : 1;
  const std::span<const float> all(packed.f32(), static_cast<size_t>(packed.numel()));
  const auto piece =
      all.subspan(static_cast<size_t>(part * rows * cols), static_cast<size_t>(rows * cols));
  return engine::Tensor::from_f32(
      piece, packed.rank() == 2 ? engine::Shape{rows, cols} : engine::Shape{rows});
}

}  // namespace

engine::Value CodeFormerTransformer::Linear::operator()(engine::Graph& g, engine::Value x) const {
  return g.named(g.linear(x, weight, bias), name);
}

engine::Value CodeFormerTransformer::LayerNorm::operator()(engine::Graph& g,
                                                           engine::Value x) const {
  return g.named(g.layer_norm(x, weight, bias, {.normalized_dims = 1, .eps = kLayerNormEps}), name);
}

Result<CodeFormerTransformer::Linear> CodeFormerTransformer::bind_linear(
    const nn::StateDict& weights, const std::string& key, int64_t in, int64_t out, bool has_bias) {
  Linear linear;
  linear.name = key;
  UPRES_ASSIGN_OR_RETURN(linear.weight, weights.tensor(key + ".weight", {out, in}));
  if (has_bias) {
    UPRES_ASSIGN_OR_RETURN(linear.bias, weights.tensor(key + ".bias", {out}));
  }
  return linear;
}

Result<CodeFormerTransformer::LayerNorm> CodeFormerTransformer::bind_layer_norm(
    const nn::StateDict& weights, const std::string& key, int64_t dim) {
  LayerNorm norm;
  norm.name = key;
  UPRES_ASSIGN_OR_RETURN(norm.weight, weights.tensor(key + ".weight", {dim}));
  UPRES_ASSIGN_OR_RETURN(norm.bias, weights.tensor(key + ".bias", {dim}));
  return norm;
}

Status CodeFormerTransformer::read_config(const nn::StateDict& weights) {
  Config& c = config_;
  UPRES_ASSIGN_OR_RETURN(c.tokens, weights.dim("position_emb", 0));
  UPRES_ASSIGN_OR_RETURN(c.dim_embd, weights.dim("position_emb", 1));
  UPRES_ASSIGN_OR_RETURN(c.latent_channels, weights.dim("feat_emb.weight", 1));
  UPRES_ASSIGN_OR_RETURN(c.codebook_size, weights.dim("idx_pred_layer.1.weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.dim_mlp, weights.dim("ft_layers.0.linear1.weight", 0));
  c.n_layers = weights.seq_len("ft_layers");
  if (c.n_head < 1 || c.dim_embd < 1 || c.dim_embd % c.n_head != 0) {
    return corrupt("CodeFormer transformer: dim_embd " + std::to_string(c.dim_embd) +
                   " (position_emb) is not a multiple of " + std::to_string(c.n_head) + " heads");
  }
  const int64_t side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(c.tokens))));
  if (c.tokens < 1 || side * side != c.tokens) {
    return corrupt("CodeFormer transformer: position_emb has " + std::to_string(c.tokens) +
                   " rows, not the tokens of a square latent");
  }
  return Status::ok();
}

Result<CodeFormerTransformer::TransformerSALayer> CodeFormerTransformer::bind_layer(
    const nn::StateDict& weights, int index) const {
  const std::string key = "ft_layers." + std::to_string(index);
  const int64_t d = config_.dim_embd;
  TransformerSALayer layer;
  UPRES_ASSIGN_OR_RETURN(layer.norm1, bind_layer_norm(weights, key + ".norm1", d));
  UPRES_ASSIGN_OR_RETURN(layer.norm2, bind_layer_norm(weights, key + ".norm2", d));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor in_w,
                         weights.tensor(key + ".self_attn.in_proj_weight", {3 * d, d}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor in_b,
                         weights.tensor(key + ".self_attn.in_proj_bias", {3 * d}));
  SelfAttention& attn = layer.self_attn;
  Linear* const parts[3] = {&attn.q, &attn.k, &attn.v};
  for (int p = 0; p < 3; ++p) {
    parts[p]->name = key + ".self_attn.in_proj." + "qkv"[p];
    UPRES_ASSIGN_OR_RETURN(parts[p]->weight, third(in_w, p));
    UPRES_ASSIGN_OR_RETURN(parts[p]->bias, third(in_b, p));
  }
  UPRES_ASSIGN_OR_RETURN(attn.out_proj,
                         bind_linear(weights, key + ".self_attn.out_proj", d, d, true));
  attn.n_head = config_.n_head;
  UPRES_ASSIGN_OR_RETURN(layer.linear1,
                         bind_linear(weights, key + ".linear1", d, config_.dim_mlp, true));
  UPRES_ASSIGN_OR_RETURN(layer.linear2,
                         bind_linear(weights, key + ".linear2", config_.dim_mlp, d, true));
  return layer;
}

Result<CodeFormerTransformer> CodeFormerTransformer::bind(const nn::StateDict& weights,
                                                          int n_head) {
  CodeFormerTransformer t;
  t.config_.n_head = n_head;
  UPRES_RETURN_IF_ERROR(t.read_config(weights));
  const Config& c = t.config_;
  if (c.n_layers < 1) return not_found("weight 'ft_layers.0.norm1.weight' is missing");
  UPRES_ASSIGN_OR_RETURN(t.position_emb_, weights.tensor("position_emb", {c.tokens, c.dim_embd}));
  UPRES_ASSIGN_OR_RETURN(t.feat_emb_,
                         bind_linear(weights, "feat_emb", c.latent_channels, c.dim_embd, true));
  for (int i = 0; i < c.n_layers; ++i) {
    UPRES_ASSIGN_OR_RETURN(TransformerSALayer layer, t.bind_layer(weights, i));
    t.ft_layers_.push_back(std::move(layer));
  }
  UPRES_ASSIGN_OR_RETURN(t.idx_pred_norm_,
                         bind_layer_norm(weights, "idx_pred_layer.0", c.dim_embd));
  UPRES_ASSIGN_OR_RETURN(t.idx_pred_linear_, bind_linear(weights, "idx_pred_layer.1", c.dim_embd,
                                                         c.codebook_size, false));
  return t;
}

// query_key (normed tokens + position), value (normed tokens): [L, d] -> [L, d]
engine::Value CodeFormerTransformer::SelfAttention::forward(engine::Graph& g,
                                                            engine::Value query_key,
                                                            engine::Value value) const {
  const engine::Shape shape = g.shape(value);
  const int64_t tokens = shape[0];
  const int64_t head_dim = shape[1] / n_head;
  const engine::Shape split{tokens, n_head, head_dim};
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  engine::Value query =
      g.scale(g.permute(g.reshape(q(g, query_key), split), {1, 0, 2}), scale);  // [H, L, hd]
  engine::Value key = g.permute(g.reshape(k(g, query_key), split), {1, 2, 0});  // [H, hd, L]
  engine::Value val = g.permute(g.reshape(v(g, value), split), {1, 0, 2});      // [H, L, hd]
  engine::Value attn = g.softmax(g.matmul(query, key), -1);                     // [H, L, L]
  engine::Value heads = g.permute(g.matmul(attn, val), {1, 0, 2});              // [L, H, hd]
  return out_proj(g, g.reshape(heads, shape));
}

// tgt, pos: [L, d] -> [L, d]
engine::Value CodeFormerTransformer::TransformerSALayer::forward(engine::Graph& g,
                                                                 engine::Value tgt,
                                                                 engine::Value pos) const {
  engine::Value normed = norm1(g, tgt);
  tgt = g.add(tgt, self_attn.forward(g, g.add(normed, pos), normed));
  engine::Value mlp = linear2(g, g.gelu(linear1(g, norm2(g, tgt))));
  return g.add(tgt, mlp);
}

engine::Value CodeFormerTransformer::forward(engine::Graph& g, engine::Value lq_feat) const {
  const int64_t c = config_.latent_channels;
  engine::Value tokens = g.permute(g.reshape(lq_feat, {c, config_.tokens}), {1, 0});  // [L, c]
  engine::Value query = feat_emb_(g, tokens);                                         // [L, d]
  engine::Value pos = g.constant(position_emb_);                                      // [L, d]
  for (const TransformerSALayer& layer : ft_layers_) query = layer.forward(g, query, pos);
  return idx_pred_linear_(g, idx_pred_norm_(g, query));  // [L, K]
}

}  // namespace upres::models
