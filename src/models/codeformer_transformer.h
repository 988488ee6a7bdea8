// CodeFormer's code-prediction transformer: feat_emb (Linear), ft_layers.N (TransformerSALayer:
// pre-LayerNorm nn.MultiheadAttention with the learned position embedding added to queries and
// keys, then a GELU MLP) and idx_pred_layer (LayerNorm + Linear), mapping the encoder's latent
// tokens to logits over the codebook. Immutable after binding; thread-safe.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models {

class CodeFormerTransformer {
 public:
  struct Config {
    int64_t latent_channels = 256;  // feat_emb input: the VQGAN's emb_dim
    int64_t dim_embd = 512;
    int64_t dim_mlp = 1024;
    int64_t codebook_size = 1024;
    int64_t tokens = 256;  // position_emb rows: latent side squared
    int n_layers = 9;
    int n_head = 8;  // not stored in the weights
  };

  // Reads every size but n_head from the shapes of feat_emb, position_emb, ft_layers.N and
  // idx_pred_layer, and binds them. Corrupt when dim_embd is not a multiple of n_head.
  static Result<CodeFormerTransformer> bind(const nn::StateDict& weights, int n_head);

  // lq_feat: [1, latent_channels, s, s] with s * s == tokens -> logits [tokens, codebook_size]
  engine::Value forward(engine::Graph& graph, engine::Value lq_feat) const;

  const Config& config() const { return config_; }

 private:
  struct Linear {
    engine::Tensor weight;  // [out, in]
    engine::Tensor bias;    // [out] or undefined
    std::string name;
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };
  struct LayerNorm {
    engine::Tensor weight;
    engine::Tensor bias;
    std::string name;
    engine::Value operator()(engine::Graph& graph, engine::Value x) const;
  };
  // nn.MultiheadAttention's in_proj split into its query, key and value rows.
  struct SelfAttention {
    Linear q, k, v, out_proj;
    int n_head = 8;
    // query_key, value: [L, d] -> [L, d]
    engine::Value forward(engine::Graph& graph, engine::Value query_key, engine::Value value) const;
  };
  struct TransformerSALayer {
    LayerNorm norm1, norm2;
    SelfAttention self_attn;
    Linear linear1, linear2;
    // tgt, pos: [L, d] -> [L, d]
    engine::Value forward(engine::Graph& graph, engine::Value tgt, engine::Value pos) const;
  };

  static Result<Linear> bind_linear(const nn::StateDict& weights, const std::string& key,
                                    int64_t in, int64_t out, bool has_bias);
  static Result<LayerNorm> bind_layer_norm(const nn::StateDict& weights, const std::string& key,
                                           int64_t dim);
  Result<TransformerSALayer> bind_layer(const nn::StateDict& weights, int index) const;
  Status read_config(const nn::StateDict& weights);

  Config config_;
  engine::Tensor position_emb_;  // [tokens, dim_embd]
  Linear feat_emb_;
  std::vector<TransformerSALayer> ft_layers_;
  LayerNorm idx_pred_norm_;  // idx_pred_layer.0
  Linear idx_pred_linear_;   // idx_pred_layer.1, no bias
};

}  // namespace upres::models
