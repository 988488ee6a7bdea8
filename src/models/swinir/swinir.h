// SwinIR: image restoration with residual groups of (shifted) window-attention Swin blocks
// (Liang et al. 2021), configured from its weights: classical (pixelshuffle x2/x3/x4/x8),
// lightweight (pixelshuffledirect), real-world (nearest+conv, M and L with '3conv'), colour
// denoise / JPEG (x1). Immutable after loading; thread-safe.
// Original: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/attention/window_attention.h"
#include "models/swinir/swin_attention.h"
#include "models/swinir/swin_frame.h"
#include "models/swinir/swin_layers.h"
#include "models/upscale_model.h"
#include "nn/state_dict.h"
#include "weights/weight_map.h"

namespace upres::models {

class SwinIR final : public UpscaleModel {
 public:
  // spandrel's SwinIR keys (conv_first, a first block's norm1, mlp.fc1.bias and
  // relative_position_index), without Swin2SR's patch_embed.proj / logit_scale or HAT's
  // relative_position_index_SA.
  static bool matches(const nn::StateDict& weights);

  static Result<std::shared_ptr<const SwinIR>> from_weights(const weights::WeightMap& weights);

  std::string architecture() const override { return "SwinIR"; }
  // Window attention: slower in bf16 than in fp32 on the CPUs measured (see UpscaleModel).
  bool runs_faster_in_bf16() const override { return false; }
  int scale() const override { return frame_.config().upscale; }
  double bytes_per_input_pixel() const override { return frame_.bytes_per_input_pixel(); }
  Result<engine::Graph> build_graph(int height, int width) const override;

  const swin::FrameConfig& config() const { return frame_.config(); }

 private:
  // One Swin block: x + attn(norm1(x)) over (shifted) windows, then x + mlp(norm2(x)).
  struct Block {
    swin::LayerNorm norm1;
    swin::WindowAttention attn;  // bias: attn.relative_position_bias_table[index]
    swin::LayerNorm norm2;
    swin::Mlp mlp;
    int shift = 0;
  };

  SwinIR() = default;
  Status bind(const nn::StateDict& weights, const swin::FrameConfig& config);
  engine::Value block(engine::Graph& graph, engine::Value tokens, const Block& b, int64_t height, int64_t width,
                      engine::Value mask) const;

  swin::SwinFrame frame_;
  std::vector<std::vector<Block>> layers_;  // layers.<i>.residual_group.blocks.<j>
};

}  // namespace upres::models
