// SwinFrame: what SwinIR and Swin2SR share around their Swin blocks: the configuration read from
// the weights (spandrel's rules), the shallow conv, the residual Swin transformer groups' convs, the
// final norm, the reconstruction (pixelshuffle, pixelshuffledirect, nearest+conv, Swin2SR's
// pixelshuffle_aux, or none for x1 restoration), the DIV2K mean / img_range normalisation and the
// reflect padding to the window multiple with the crop back. Immutable after binding; thread-safe.
// Originals: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
//            https://github.com/mv-lab/swin2sr/blob/main/models/network_swin2sr.py
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/swinir/swin_layers.h"
#include "nn/conv2d.h"
#include "nn/state_dict.h"

namespace upres::models::swin {

enum class Upsampler { kPixelShuffle, kPixelShuffleDirect, kNearestConv, kPixelShuffleAux, kNone };

// "pixelshuffle", ... as the originals spell them ("" for none).
const char* upsampler_name(Upsampler upsampler);

struct FrameConfig {
  bool is_v2 = false;              // Swin2SR: patch_embed.proj 1x1 convs, post-norm blocks
  int64_t embed_dim = 0;
  std::vector<int> depths;         // blocks per residual group
  std::vector<int64_t> heads;      // attention heads per residual group
  int window = 0;
  int64_t mlp_hidden = 0;          // fc1 width (embed_dim * mlp_ratio)
  Upsampler upsampler = Upsampler::kNone;
  bool three_conv = false;         // resi_connection '3conv'
  int upscale = 1;
  int64_t num_feat = 0;            // width of the reconstruction convs (0 when unused)
  float img_range = 1.0f;          // 255 for the window-7 JPEG models (spandrel's rule)
  bool patch_norm = true;

  // Everything but the heads, from keys and shapes. `heads_key` is the per-group tensor whose
  // dimension `heads_axis` gives the heads ("relative_position_bias_table", 1 / "logit_scale", 0).
  // Unsupported for what upres cannot run (grey models, absolute position embeddings, ...),
  // Corrupt for inconsistent or out-of-range shapes.
  static Result<FrameConfig> from_weights(const nn::StateDict& weights, bool is_v2, const char* heads_key,
                                          int heads_axis);

  std::string to_string() const;
};

// "layers.<i>.residual_group.blocks.<j>."
std::string block_key(size_t layer, size_t block);

class SwinFrame {
 public:
  // The blocks of residual group `layer` on tokens [1, h*w, C] (h, w multiples of the window).
  using ResidualGroup = std::function<engine::Value(engine::Graph&, engine::Value tokens, size_t layer,
                                                    int64_t height, int64_t width)>;

  static Result<SwinFrame> bind(const nn::StateDict& weights, const FrameConfig& config);

  // Input [1, 3, h, w] in [0, 1] -> [1, 3, h*s, w*s]; `name` prefixes build errors.
  Result<engine::Graph> build_graph(int height, int width, const ResidualGroup& group, const char* name) const;

  // fp32 bytes per input pixel at the peak: the frame's live maps plus the larger of a block's
  // (window attention scores: heads x N per token) and the reconstruction's at output resolution.
  double bytes_per_input_pixel() const;

  const FrameConfig& config() const { return config_; }

 private:
  engine::Value reconstruct(engine::Graph& graph, engine::Value x, engine::Value body, int height,
                            int width) const;

  FrameConfig config_;
  nn::Conv2d conv_first_;
  std::optional<nn::Conv2d> patch_proj_;         // Swin2SR patch_embed.proj (1x1)
  std::optional<LayerNorm> patch_norm_;          // patch_embed.norm
  std::vector<ResidualConv> layer_convs_;        // layers.<i>.conv
  std::vector<nn::Conv2d> layer_projs_;          // Swin2SR layers.<i>.patch_embed.proj (1x1)
  LayerNorm norm_;
  ResidualConv conv_after_body_;
  std::vector<nn::Conv2d> up_;                   // conv_before_upsample.0, then upsample.<2i> / conv_up<i>
  std::vector<nn::Conv2d> tail_;                 // conv_hr, conv_last / conv_bicubic, conv_aux, conv_after_aux.0, conv_last
};

}  // namespace upres::models::swin
