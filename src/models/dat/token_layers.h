// Layers of the token-map transformers (DAT, HAT): nn.BatchNorm2d and grouped nn.Conv2d bound by
// state-dict key with their shapes checked (Linear, LayerNorm and the token rearranges are src/nn's),
// zero padding / cropping of token maps, and F.normalize over the last
// axis built from layer_norm. Immutable after binding; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "engine/tensor.h"
#include "models/dat/shared_constants.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/state_dict.h"
#include "nn/token_map.h"

namespace upres::models::tokens {

// The shared layers of src/nn, under the names this family's code uses.
using nn::LayerNorm;
using nn::Linear;
using nn::to_image;
using nn::to_tokens;

// nn.BatchNorm2d(channels) in eval mode, eps 1e-5.
struct BatchNorm2d {
  engine::Tensor weight, bias, running_mean, running_var;
  static Result<BatchNorm2d> bind(const nn::StateDict& weights, std::string_view key, int64_t channels);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;
};

// nn.Conv2d(in, out, kernel, padding=kernel/2, groups) with bias.
struct Conv {
  engine::Tensor weight;
  engine::Tensor bias;
  engine::Conv2dAttrs attrs;
  static Result<Conv> bind(const nn::StateDict& weights, std::string_view key, int64_t in, int64_t out, int kernel,
                           int groups = 1, bool has_bias = true);
  engine::Value operator()(engine::Graph& graph, engine::Value x) const {
    return graph.conv2d(x, weight, bias, attrs);
  }
};

// The reconstruction of SwinIR-style networks: "pixelshuffle" (conv_before_upsample.0 + LeakyReLU,
// "upsample" = (conv to 4nf + PixelShuffle(2)) per factor 2 or one conv to 9nf + PixelShuffle(3),
// conv_last) or "pixelshuffledirect" (upsample.0 to out * s^2 + PixelShuffle(s)).
class Upsampler {
 public:
  // Reads the kind, scale and num_feat from the keys; `embed_dim` channels come in.
  static Result<Upsampler> bind(const nn::StateDict& weights, int64_t embed_dim, int64_t out_channels);
  int scale() const { return scale_; }
  int64_t num_feat() const { return num_feat_; }
  bool is_direct() const { return direct_; }
  // fp32 values per input pixel alive at the upsampler's peak, counted in stage outputs at the last
  // stage's resolution: 5 (the cpu backend held about 7 while its pixel shuffle read a plain copy
  // of the blocked conv output; since it reads the blocked output where it lies, DAT-S's whole
  // arena under the AVX2 cap fell by a quarter; the reference backend holds 2).
  double peak_floats_per_input_pixel() const;
  // [1, embed_dim, H, W] -> [1, out, sH, sW]
  engine::Value operator()(engine::Graph& graph, engine::Value x) const;

 private:
  bool direct_ = false;
  int scale_ = 1;
  int64_t num_feat_ = 0;
  Conv before_;                 // conv_before_upsample.0 (pixelshuffle)
  std::vector<Conv> stages_;    // upsample.0, upsample.2, ...
  std::vector<int> factors_;    // each stage's pixel-shuffle factor
  Conv last_;                   // conv_last (pixelshuffle)
};

// Zero-pads a [1, H*W, C] map on the bottom and right to [1, padded_h*padded_w, C], with zeros
// from `shared` (the same for every block of the graph).
engine::Value pad_bottom_right(engine::Graph& graph, SharedConstants& shared, engine::Value tokens, int64_t height,
                               int64_t width, int64_t padded_h, int64_t padded_w);
// The top-left height x width tokens of a [1, map_h*map_w, C] map.
engine::Value crop_top_left(engine::Graph& graph, engine::Value tokens, int64_t map_h, int64_t map_w,
                            int64_t height, int64_t width);

// F.normalize(x, dim=-1) times sqrt(n) (n = the last dim): layer_norm of [x, -x], whose mean
// is zero and whose variance is 2 sum(x^2) / 2n. Callers fold the sqrt(n) factor into a constant.
engine::Value l2_normalize_times_sqrt_n(engine::Graph& graph, engine::Value x);

// Swin's calculate_mask for a rectangular window (window_h x window_w, shifted by shift_h,
// shift_w) on a height x width map (multiples of the window): [nW, N, N], 0 within a region,
// -100 across. A zero shift makes one region along that axis, as the original's slices do.
engine::Tensor shifted_window_mask(int64_t height, int64_t width, int window_h, int window_w, int shift_h,
                                   int shift_w);

}  // namespace upres::models::tokens
