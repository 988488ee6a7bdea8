// HAT: Hybrid Attention Transformer for image super-resolution (Chen et al., CVPR 2023): residual
// hybrid attention groups (RHAG) of HABs and one OCAB each, configured from its weights (HAT-S,
// HAT, HAT-L; SRx2/x3/x4 and Real_HAT_GAN). Immutable after loading; thread-safe.
// Original: https://github.com/XPixelGroup/HAT (hat/archs/hat_arch.py); detection as spandrel's
// architectures/HAT/__init__.py.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/dat/token_layers.h"
#include "models/hat/hat_blocks.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class HAT final : public UpscaleModel {
 public:
  struct Config {
    int64_t embed_dim = 180;
    std::vector<int> depth;     // HABs per RHAG
    std::vector<int> heads;     // heads per RHAG
    hat::Windows windows;       // from relative_position_index_SA / _OCA shapes (values recomputed)
    bool qkv_bias = true;
    bool patch_norm = true;     // patch_embed.norm
    bool resi_1conv = true;     // "1conv" (else "identity")
    static Result<Config> from_weights(const nn::StateDict& weights);
  };

  static bool matches(const nn::StateDict& weights);
  static Result<std::shared_ptr<const HAT>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "HAT"; }
  int scale() const override { return upsampler_.scale(); }
  double bytes_per_input_pixel() const override;
  // Not measured on real pictures yet: precision auto keeps fp32.
  bool is_faithful_in_bf16() const override { return false; }
  // Pads the input to the window multiple by reflection (as the original's test code) and crops
  // the output back.
  Result<engine::Graph> build_graph(int height, int width) const override;

  const Config& config() const { return config_; }

 private:
  struct Group {
    std::vector<hat::HybridAttentionBlock> blocks;
    std::optional<hat::OverlapCrossAttention> overlap_attn;
    std::optional<tokens::Conv> conv;  // layers.i.conv (1conv)
  };

  explicit HAT(Config config) : config_(std::move(config)) {}
  Status bind(const nn::StateDict& weights);

  Config config_;
  tokens::Conv conv_first_;
  std::optional<tokens::LayerNorm> patch_norm_;
  std::vector<Group> layers_;
  tokens::LayerNorm norm_;
  std::optional<tokens::Conv> conv_after_body_;
  tokens::Upsampler upsampler_;
};

}  // namespace upres::models
