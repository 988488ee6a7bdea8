// DAT: Dual Aggregation Transformer for image super-resolution (Chen et al., ICCV 2023): residual
// groups of blocks alternating spatial-window and channel self-attention, each with an SGFN
// feed-forward, configured from its weights (DAT, DAT-S, DAT-2, DAT-light; x2/x3/x4). Immutable
// after loading; thread-safe.
// Original: https://github.com/zhengchen1999/DAT (basicsr/archs/dat_arch.py); detection as
// spandrel's architectures/DAT/__init__.py.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/dat/dat_attention.h"
#include "models/dat/token_layers.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class DAT final : public UpscaleModel {
 public:
  struct Config {
    int64_t embed_dim = 180;
    std::vector<int> depth;        // blocks per residual group
    std::vector<int> heads;        // heads per residual group
    std::array<int, 2> split{};    // split_size, read from the rpe_biases buffer
    int64_t ffn_hidden = 0;        // embed_dim * expansion_factor
    bool qkv_bias = true;
    bool resi_3conv = false;       // resi_connection "3conv" (else "1conv")
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  // DAT's keys (spandrel's), and not RGT's (which adds layers.0.blocks.0.gamma).
  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const DAT>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "DAT"; }
  int scale() const override { return upsampler_.scale(); }
  double bytes_per_input_pixel() const override;
  // Not measured on real pictures yet: precision auto keeps fp32.
  bool is_faithful_in_bf16() const override { return false; }
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  // SGFN: fc1, GELU, then the spatial gate (LayerNorm + depthwise conv of the second half) times
  // the first half, then fc2.
  struct FeedForward {
    tokens::Linear fc1, fc2;
    tokens::LayerNorm gate_norm;
    tokens::Conv gate_conv;
    engine::Value operator()(engine::Graph& graph, engine::Value x, int64_t height, int64_t width) const;
  };
  struct Block {
    tokens::LayerNorm norm1, norm2;
    std::variant<dat::SpatialAttention, dat::ChannelAttention> attn;
    FeedForward ffn;
  };
  struct Group {
    std::vector<Block> blocks;
    std::vector<tokens::Conv> convs;  // "conv" (1conv) or conv.0, conv.2, conv.4 (3conv)
  };

  explicit DAT(Config config) : config_(std::move(config)) {}
  Status bind(const nn::StateDict& weights);
  Result<Block> bind_block(const nn::StateDict& weights, int group, int index) const;
  Result<std::vector<tokens::Conv>> bind_residual_convs(const nn::StateDict& weights, const std::string& key) const;
  engine::Value residual_convs(engine::Graph& graph, const std::vector<tokens::Conv>& convs, engine::Value x) const;

  Config config_;
  tokens::Conv conv_first_;
  tokens::LayerNorm before_rg_;   // before_RG.1
  std::vector<Group> layers_;
  tokens::LayerNorm norm_;
  std::vector<tokens::Conv> conv_after_body_;
  tokens::Upsampler upsampler_;
};

}  // namespace upres::models
