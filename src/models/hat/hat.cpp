// HAT: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/XPixelGroup/HAT (hat/archs/hat_arch.py)
#include "models/hat/hat.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "models/attention/window_attention.h"

namespace upres::models {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

constexpr int kMaxGroups = 64;
constexpr int kMaxBlocks = 256;
constexpr int64_t kMaxEmbedDim = 4096;
constexpr int kMaxWindow = 64;
constexpr float kRgbMean[3] = {0.4488f, 0.4371f, 0.4040f};

std::string group_key(int group) { return "layers." + std::to_string(group) + ".residual_group"; }

// The side of a square window whose token count is `tokens`, or 0.
int window_side(int64_t tokens) {
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(tokens))));
  return side >= 1 && side <= 4 * kMaxWindow && side * side == tokens ? static_cast<int>(side) : 0;
}

Result<hat::Windows> read_windows(const nn::StateDict& weights) {
  const std::vector<int64_t>* sa = weights.shape("relative_position_index_SA");
  const std::vector<int64_t>* oca = weights.shape("relative_position_index_OCA");
  if (sa == nullptr || oca == nullptr) return not_found("relative_position_index_SA / _OCA missing");
  hat::Windows w;
  w.size = sa->size() == 2 && (*sa)[0] == (*sa)[1] ? window_side((*sa)[0]) : 0;
  if (w.size < 1 || w.size > kMaxWindow) {
    return corrupt("relative_position_index_SA has shape " + engine::shape_to_string(*sa) + ", not [ws^2, ws^2] with ws <= " +
                   std::to_string(kMaxWindow));
  }
  w.overlap_size = oca->size() == 2 && (*oca)[0] == int64_t{w.size} * w.size ? window_side((*oca)[1]) : 0;
  if (w.overlap_size < w.size || w.overlap_size > 3 * w.size) {
    return corrupt("relative_position_index_OCA has shape " + engine::shape_to_string(*oca) + ", not [" +
                   std::to_string(w.size * w.size) + ", ows^2] with " + std::to_string(w.size) + " <= ows <= " +
                   std::to_string(3 * w.size));
  }
  if ((w.overlap_size - w.size) % 2 != 0) {
    return unsupported("HAT with window " + std::to_string(w.size) + " and overlapping window " +
                       std::to_string(w.overlap_size) + " (the original's unfold needs an even difference)");
  }
  return w;
}

}  // namespace

bool HAT::matches(const nn::StateDict& weights) {
  for (const char* key : {"relative_position_index_SA", "relative_position_index_OCA", "conv_first.weight", "conv_last.weight",
                          "layers.0.residual_group.blocks.0.conv_block.cab.0.weight",
                          "layers.0.residual_group.overlap_attn.qkv.weight"}) {
    if (!weights.has(key)) return false;
  }
  return true;
}

Result<HAT::Config> HAT::Config::from_weights(const nn::StateDict& weights) {
  if (!matches(weights)) return unsupported("not a HAT: keys " + weights.key_sample(6));
  Config c;
  UPRES_ASSIGN_OR_RETURN(c.embed_dim, weights.dim("conv_first.weight", 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, weights.dim("conv_first.weight", 1));
  if (in_channels != 3) return unsupported("HAT with " + std::to_string(in_channels) + " input channels (upres runs RGB models)");
  if (c.embed_dim < 1 || c.embed_dim > kMaxEmbedDim) return corrupt("HAT embed_dim " + std::to_string(c.embed_dim));
  if (weights.has("absolute_pos_embed")) return unsupported("HAT with an absolute position embedding (ape=True)");
  UPRES_ASSIGN_OR_RETURN(c.windows, read_windows(weights));
  const int groups = weights.seq_len("layers");
  if (groups < 1 || groups > kMaxGroups) return corrupt("HAT with " + std::to_string(groups) + " residual groups");
  for (int i = 0; i < groups; ++i) {
    const int blocks = weights.seq_len(group_key(i) + ".blocks");
    if (blocks < 1 || blocks > kMaxBlocks) return corrupt("HAT " + group_key(i) + " has " + std::to_string(blocks) + " blocks");
    c.depth.push_back(blocks);
    UPRES_ASSIGN_OR_RETURN(const int64_t heads, weights.dim(group_key(i) + ".overlap_attn.relative_position_bias_table", 1));
    if (heads < 1 || heads > c.embed_dim) return corrupt("HAT " + group_key(i) + ": " + std::to_string(heads) + " heads");
    c.heads.push_back(static_cast<int>(heads));
  }
  c.qkv_bias = weights.has("layers.0.residual_group.blocks.0.attn.qkv.bias");
  c.patch_norm = weights.has("patch_embed.norm.weight");
  c.resi_1conv = weights.has("conv_after_body.weight");
  return c;
}

Result<std::shared_ptr<const HAT>> HAT::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<HAT> net(new HAT(std::move(config)));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const HAT>(std::move(net));
}

Status HAT::bind(const nn::StateDict& weights) {
  const Config& c = config_;
  const int64_t dim = c.embed_dim;
  UPRES_ASSIGN_OR_RETURN(conv_first_, tokens::Conv::bind(weights, "conv_first", 3, dim, 3));
  if (c.patch_norm) {
    UPRES_ASSIGN_OR_RETURN(patch_norm_, tokens::LayerNorm::bind(weights, "patch_embed.norm", dim));
  }
  for (size_t i = 0; i < c.depth.size(); ++i) {
    const std::string key = group_key(static_cast<int>(i));
    Group group;
    for (int j = 0; j < c.depth[i]; ++j) {
      UPRES_ASSIGN_OR_RETURN(auto block, hat::HybridAttentionBlock::bind(weights, key + ".blocks." + std::to_string(j), dim,
                                                                         c.heads[i], c.qkv_bias, c.windows.size, j % 2 == 1));
      group.blocks.push_back(std::move(block));
    }
    UPRES_ASSIGN_OR_RETURN(group.overlap_attn, hat::OverlapCrossAttention::bind(weights, key + ".overlap_attn", dim,
                                                                                c.heads[i], c.qkv_bias, c.windows));
    if (c.resi_1conv) {
      UPRES_ASSIGN_OR_RETURN(group.conv, tokens::Conv::bind(weights, "layers." + std::to_string(i) + ".conv", dim, dim, 3));
    }
    layers_.push_back(std::move(group));
  }
  UPRES_ASSIGN_OR_RETURN(norm_, tokens::LayerNorm::bind(weights, "norm", dim));
  if (c.resi_1conv) {
    UPRES_ASSIGN_OR_RETURN(conv_after_body_, tokens::Conv::bind(weights, "conv_after_body", dim, dim, 3));
  }
  UPRES_ASSIGN_OR_RETURN(upsampler_, tokens::Upsampler::bind(weights, dim, 3));
  if (upsampler_.is_direct()) return corrupt("HAT without conv_last (only the pixelshuffle upsampler exists)");
  return Status::ok();
}

Result<engine::Graph> HAT::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) return invalid_argument("HAT: input " + std::to_string(height) + "x" + std::to_string(width));
  const int ws = config_.windows.size, s = scale();
  const int padded_h = (height + ws - 1) / ws * ws, padded_w = (width + ws - 1) / ws * ws;
  Graph g;
  const Value input = g.input("input", {1, 3, height, width});
  std::vector<float> mean(std::begin(kRgbMean), std::end(kRgbMean)), negative(3);
  for (size_t i = 0; i < 3; ++i) negative[i] = -mean[i];
  Value x = g.add(input, g.constant(*Tensor::from_f32(negative, {1, 3, 1, 1})));
  if (padded_h != height || padded_w != width) {
    // Reflection needs the padding below the size; a smaller input repeats its edge instead.
    const bool reflect = padded_h - height < height && padded_w - width < width;
    x = g.pad(x, {.right = padded_w - width, .bottom = padded_h - height,
                  .mode = reflect ? engine::PadMode::kReflect : engine::PadMode::kReplicate});
  }
  const Value shallow = conv_first_(g, x);                                     // [1, C, Hp, Wp]
  Value t = tokens::to_tokens(g, shallow);                                     // [1, L, C]
  if (patch_norm_) t = (*patch_norm_)(g, t);
  const Value mask = g.constant(attention::shifted_window_mask(padded_h, padded_w, ws, ws / 2));
  tokens::SharedConstants shared(g);  // the OCABs' zero padding, one per graph
  for (const Group& group : layers_) {
    const Value residual = t;
    for (const hat::HybridAttentionBlock& block : group.blocks) t = block(g, t, padded_h, padded_w, mask);
    t = (*group.overlap_attn)(g, shared, t, padded_h, padded_w);
    if (group.conv) t = tokens::to_tokens(g, (*group.conv)(g, tokens::to_image(g, t, padded_h, padded_w)));
    t = g.add(t, residual);
  }
  x = tokens::to_image(g, norm_(g, t), padded_h, padded_w);
  if (conv_after_body_) x = (*conv_after_body_)(g, x);
  x = upsampler_(g, g.add(x, shallow));                                        // [1, 3, sHp, sWp]
  x = g.add(x, g.constant(*Tensor::from_f32(mean, {1, 3, 1, 1})));
  if (padded_h != height) x = g.slice(x, 2, 0, int64_t{height} * s);
  if (padded_w != width) x = g.slice(x, 3, 0, int64_t{width} * s);
  g.mark_output(x);
  if (!g.status().is_ok()) return g.status().with_context("HAT graph");
  return g;
}

// fp32 values alive at the peak, per (padded) input pixel: the residual stream and its normed
// copy, then the largest of a HAB (qkv, windows, scores + softmax: heads x ws^2 per token, the CAB
// and the MLP hidden), an OCAB (k/v windows: 2C x (ows/ws)^2, scores + softmax: heads x ows^2 per
// token) and the upsampler at output resolution.
double HAT::bytes_per_input_pixel() const {
  const Config& c = config_;
  const double dim = static_cast<double>(c.embed_dim);
  const double heads = static_cast<double>(*std::max_element(c.heads.begin(), c.heads.end()));
  const double ws = c.windows.size, ows = c.windows.overlap_size;
  const double hab = 8.0 * dim + 2.0 * heads * ws * ws + 2.0 * 4.0 * dim;
  const double ratio = (ows / ws) * (ows / ws);
  const double ocab = 5.0 * dim + 2.0 * 2.0 * dim * ratio + 2.0 * heads * ows * ows;
  const double tail = upsampler_.peak_floats_per_input_pixel();
  return 4.0 * (3.0 + 3.0 * dim + std::max({hab, ocab, tail}));
}

}  // namespace upres::models
