// Swin2SR: SwinIR with SwinV2 blocks (Conde et al. 2022): scaled cosine window attention with a
// learned per-head temperature (clamped at log 100), a continuous position bias (cpb_mlp over
// log-spaced relative coordinates, 16 * sigmoid), post-norm residuals, and 1x1 patch-embedding
// convs. Configured from its weights: classical (pixelshuffle), lightweight (pixelshuffledirect),
// real-world (nearest+conv), compressed-input (pixelshuffle_aux) and x1 JPEG. Immutable after
// loading; thread-safe.
// Original: https://github.com/mv-lab/swin2sr/blob/main/models/network_swin2sr.py
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/swinir/swin_attention.h"
#include "models/swinir/swin_frame.h"
#include "models/swinir/swin_layers.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class Swin2SR final : public UpscaleModel {
 public:
  // spandrel's Swin2SR keys: SwinIR's plus patch_embed.proj.weight and attn.logit_scale.
  static bool matches(const nn::StateDict& weights);

  static Result<std::shared_ptr<const Swin2SR>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "Swin2SR"; }
  // Window attention: slower in bf16 than in fp32 on the CPUs measured (see UpscaleModel).
  bool runs_faster_in_bf16() const override { return false; }
  int scale() const override { return frame_.config().upscale; }
  double bytes_per_input_pixel() const override { return frame_.bytes_per_input_pixel(); }
  Result<engine::Graph> build_graph(int height, int width) const override;

  const swin::FrameConfig& config() const { return frame_.config(); }

 private:
  // One SwinV2 block: x + norm1(attn(x)) over (shifted) windows, then x + norm2(mlp(x)).
  struct Block {
    swin::WindowAttention attn;     // cosine; bias 16 * sigmoid(cpb_mlp(coords table)[index])
    swin::LayerNorm norm1;
    swin::LayerNorm norm2;
    swin::Mlp mlp;
    int shift = 0;
  };

  Swin2SR() = default;
  Status bind(const nn::StateDict& weights, const swin::FrameConfig& config);
  static Status bind_attention(const nn::StateDict& weights, const std::string& key, int64_t dim, int window,
                               swin::WindowAttention& attn);
  engine::Value block(engine::Graph& graph, engine::Value tokens, const Block& b, int64_t height, int64_t width,
                      engine::Value mask) const;

  swin::SwinFrame frame_;
  std::vector<std::vector<Block>> layers_;  // layers.<i>.residual_group.blocks.<j>
};

}  // namespace upres::models
