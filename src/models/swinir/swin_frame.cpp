// SwinFrame: configuration from weights (spandrel's SwinIR/Swin2SR rules), binding, and the graph
// around the Swin blocks.
// Originals: https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py
//            https://github.com/mv-lab/swin2sr/blob/main/models/network_swin2sr.py
// Detection rules: https://github.com/chaiNNer-org/spandrel (architectures/SwinIR, Swin2SR)
#include "models/swinir/swin_frame.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace upres::models::swin {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

constexpr int64_t kMaxEmbedDim = 4096;
constexpr int kMaxLayers = 64;
constexpr int kMaxDepth = 64;
constexpr int kMaxWindow = 64;
constexpr int kMaxUpsampleStages = 3;  // x8
constexpr float kDiv2kMean[3] = {0.4488f, 0.4371f, 0.4040f};

std::string s(int64_t v) { return std::to_string(v); }

Tensor mean_tensor(float factor) {
  const float values[3] = {kDiv2kMean[0] * factor, kDiv2kMean[1] * factor, kDiv2kMean[2] * factor};
  return *Tensor::from_f32(values, {1, 3, 1, 1});
}

// The factors of the pixelshuffle Upsample: 3, or 2 per power of two.
std::vector<int> shuffle_factors(int upscale) {
  if (upscale == 3) return {3};
  std::vector<int> factors;
  for (int f = upscale; f > 1; f /= 2) factors.push_back(2);
  return factors;
}

Status read_upscale(const nn::StateDict& weights, FrameConfig& c) {
  switch (c.upsampler) {
    case Upsampler::kNone: c.upscale = 1; return Status::ok();
    case Upsampler::kPixelShuffleDirect: {
      UPRES_ASSIGN_OR_RETURN(const int64_t out, weights.dim("upsample.0.weight", 0));
      const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(out) / 3.0)));
      if (out % 3 != 0 || root * root * 3 != out || root < 1 || root > 8) {
        return corrupt("upsample.0.weight has " + s(out) + " output channels, not 3 * scale^2 for a scale 1-8");
      }
      c.upscale = static_cast<int>(root);
      return Status::ok();
    }
    case Upsampler::kNearestConv: {
      UPRES_ASSIGN_OR_RETURN(c.num_feat, weights.dim("conv_before_upsample.0.weight", 0));
      int stages = 0;
      while (stages <= kMaxUpsampleStages && weights.has("conv_up" + s(stages + 1) + ".weight")) ++stages;
      if (stages > kMaxUpsampleStages) return corrupt("nearest+conv upsampler with more than 3 conv_up stages");
      c.upscale = 1 << stages;
      return Status::ok();
    }
    case Upsampler::kPixelShuffle:
    case Upsampler::kPixelShuffleAux: {
      UPRES_ASSIGN_OR_RETURN(c.num_feat, weights.dim("conv_before_upsample.0.weight", 0));
      c.upscale = 1;
      int stages = 0;
      for (; weights.has("upsample." + s(2 * stages) + ".weight"); ++stages) {
        const std::string key = "upsample." + s(2 * stages) + ".weight";
        UPRES_ASSIGN_OR_RETURN(const int64_t out, weights.dim(key, 0));
        if (stages >= kMaxUpsampleStages) return corrupt("pixelshuffle upsampler with more than 3 stages");
        if (out == 4 * c.num_feat) {
          c.upscale *= 2;
        } else if (out == 9 * c.num_feat && stages == 0 && !weights.has("upsample.2.weight")) {
          c.upscale = 3;
        } else {
          return corrupt(key + " has " + s(out) + " output channels, expected " + s(4 * c.num_feat) +
                         " (or " + s(9 * c.num_feat) + " for a single x3 stage)");
        }
      }
      if (stages == 0) return corrupt("pixelshuffle upsampler without upsample.0.weight");
      return Status::ok();
    }
  }
  return Status::ok();
}

}  // namespace

const char* upsampler_name(Upsampler upsampler) {
  switch (upsampler) {
    case Upsampler::kPixelShuffle: return "pixelshuffle";
    case Upsampler::kPixelShuffleDirect: return "pixelshuffledirect";
    case Upsampler::kNearestConv: return "nearest+conv";
    case Upsampler::kPixelShuffleAux: return "pixelshuffle_aux";
    case Upsampler::kNone: return "";
  }
  return "";
}

std::string block_key(size_t layer, size_t block) {
  return "layers." + s(static_cast<int64_t>(layer)) + ".residual_group.blocks." + s(static_cast<int64_t>(block)) + ".";
}

Result<FrameConfig> FrameConfig::from_weights(const nn::StateDict& weights, bool is_v2, const char* heads_key,
                                              int heads_axis) {
  FrameConfig c;
  c.is_v2 = is_v2;
  if (weights.has("conv_first.1.weight")) {
    return unsupported("a pixel-unshuffled input (conv_first.1.weight, spandrel's start_unshuffle)");
  }
  if (weights.has("absolute_pos_embed")) return unsupported("absolute position embeddings (ape=True)");
  if (weights.has("conv_after_body_hf.weight")) return unsupported("the 'pixelshuffle_hf' upsampler");
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, weights.dim("conv_first.weight", 1));
  if (in_channels != 3) {
    return unsupported(s(in_channels) + " input channels (upres runs RGB models only)");
  }
  UPRES_ASSIGN_OR_RETURN(c.embed_dim, weights.dim("conv_first.weight", 0));
  if (c.embed_dim < 1 || c.embed_dim > kMaxEmbedDim) {
    return corrupt("embed_dim " + s(c.embed_dim) + " (conv_first.weight) outside 1-" + s(kMaxEmbedDim));
  }
  c.patch_norm = weights.has("patch_embed.norm.weight");

  const int layers = weights.seq_len("layers");
  if (layers < 1 || layers > kMaxLayers) return corrupt(s(layers) + " residual groups (layers.*), expected 1-64");
  for (int i = 0; i < layers; ++i) {
    const int depth = weights.seq_len("layers." + s(i) + ".residual_group.blocks");
    if (depth < 1 || depth > kMaxDepth) {
      return corrupt("layers." + s(i) + " has " + s(depth) + " blocks, expected 1-" + s(kMaxDepth));
    }
    const std::string key = block_key(i, 0) + "attn." + heads_key;
    UPRES_ASSIGN_OR_RETURN(const int64_t heads, weights.dim(key, heads_axis));
    if (heads < 1 || c.embed_dim % heads != 0) {
      return corrupt(key + " gives " + s(heads) + " heads, which do not divide embed_dim " + s(c.embed_dim));
    }
    c.depths.push_back(depth);
    c.heads.push_back(heads);
  }

  const std::string index_key = block_key(0, 0) + "attn.relative_position_index";
  UPRES_ASSIGN_OR_RETURN(const int64_t tokens, weights.dim(index_key, 0));
  const auto window = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(std::max<int64_t>(tokens, 0)))));
  if (window * window != tokens || window < 2 || window > kMaxWindow) {
    return corrupt(index_key + " has " + s(tokens) + " rows, not window^2 for a window 2-" + s(kMaxWindow));
  }
  c.window = static_cast<int>(window);
  c.img_range = c.window == 7 ? 255.0f : 1.0f;  // the JPEG models: window 7, range 255

  UPRES_ASSIGN_OR_RETURN(c.mlp_hidden, weights.dim(block_key(0, 0) + "mlp.fc1.weight", 0));
  if (c.mlp_hidden < 1 || c.mlp_hidden > 16 * c.embed_dim) {
    return corrupt("mlp hidden width " + s(c.mlp_hidden) + " outside 1-" + s(16 * c.embed_dim));
  }

  if (weights.has("conv_after_body.weight")) {
    c.three_conv = false;
  } else if (weights.has("conv_after_body.0.weight")) {
    c.three_conv = true;
  } else {
    return corrupt("neither conv_after_body.weight (1conv) nor conv_after_body.0.weight (3conv)");
  }

  if (weights.has("conv_bicubic.weight")) {
    c.upsampler = Upsampler::kPixelShuffleAux;
  } else if (weights.has("conv_before_upsample.0.weight")) {
    c.upsampler = weights.has("conv_up1.weight") ? Upsampler::kNearestConv : Upsampler::kPixelShuffle;
  } else if (weights.has("upsample.0.weight")) {
    c.upsampler = Upsampler::kPixelShuffleDirect;
  } else {
    c.upsampler = Upsampler::kNone;
  }
  UPRES_RETURN_IF_ERROR(read_upscale(weights, c));
  if (c.num_feat < 0 || c.num_feat > kMaxEmbedDim) return corrupt("num_feat " + s(c.num_feat) + " out of range");
  return c;
}

std::string FrameConfig::to_string() const {
  std::string depths_text, heads_text;
  for (size_t i = 0; i < depths.size(); ++i) {
    depths_text += (i ? "," : "") + s(depths[i]);
    heads_text += (i ? "," : "") + s(heads[i]);
  }
  return "embed_dim " + s(embed_dim) + ", depths [" + depths_text + "], heads [" + heads_text + "], window " +
         s(window) + ", mlp " + s(mlp_hidden) + ", upsampler '" + upsampler_name(upsampler) + "' x" + s(upscale) +
         ", " + (three_conv ? "3conv" : "1conv");
}

Result<SwinFrame> SwinFrame::bind(const nn::StateDict& weights, const FrameConfig& config) {
  SwinFrame f;
  f.config_ = config;
  const int64_t dim = config.embed_dim, nf = config.num_feat;
  const nn::Conv2dShape point{.in_channels = dim, .out_channels = dim, .kernel = 1, .padding = 0};
  UPRES_ASSIGN_OR_RETURN(f.conv_first_, nn::Conv2d::bind(weights, "conv_first", {.in_channels = 3, .out_channels = dim}));
  if (config.is_v2) {
    UPRES_ASSIGN_OR_RETURN(f.patch_proj_, nn::Conv2d::bind(weights, "patch_embed.proj", point));
  }
  if (config.patch_norm) {
    UPRES_ASSIGN_OR_RETURN(f.patch_norm_, LayerNorm::bind(weights, "patch_embed.norm", dim));
  }
  for (size_t i = 0; i < config.depths.size(); ++i) {
    const std::string layer = "layers." + s(static_cast<int64_t>(i));
    UPRES_ASSIGN_OR_RETURN(ResidualConv conv, ResidualConv::bind(weights, layer + ".conv", dim, config.three_conv));
    f.layer_convs_.push_back(std::move(conv));
    if (config.is_v2) {
      UPRES_ASSIGN_OR_RETURN(nn::Conv2d proj, nn::Conv2d::bind(weights, layer + ".patch_embed.proj", point));
      f.layer_projs_.push_back(std::move(proj));
    }
  }
  UPRES_ASSIGN_OR_RETURN(f.norm_, LayerNorm::bind(weights, "norm", dim));
  UPRES_ASSIGN_OR_RETURN(f.conv_after_body_, ResidualConv::bind(weights, "conv_after_body", dim, config.three_conv));

  auto add = [&](std::vector<nn::Conv2d>& list, const std::string& key, int64_t in, int64_t out) -> Status {
    UPRES_ASSIGN_OR_RETURN(nn::Conv2d conv, nn::Conv2d::bind(weights, key, {.in_channels = in, .out_channels = out}));
    list.push_back(std::move(conv));
    return Status::ok();
  };
  const int s2 = config.upscale * config.upscale;
  switch (config.upsampler) {
    case Upsampler::kPixelShuffle:
    case Upsampler::kPixelShuffleAux: {
      UPRES_RETURN_IF_ERROR(add(f.up_, "conv_before_upsample.0", dim, nf));
      const std::vector<int> factors = shuffle_factors(config.upscale);
      for (size_t i = 0; i < factors.size(); ++i) {
        UPRES_RETURN_IF_ERROR(add(f.up_, "upsample." + s(static_cast<int64_t>(2 * i)), nf, factors[i] * factors[i] * nf));
      }
      if (config.upsampler == Upsampler::kPixelShuffleAux) {
        UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_bicubic", 3, nf));
        UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_aux", nf, 3));
        UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_after_aux.0", 3, nf));
      }
      UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_last", nf, 3));
      break;
    }
    case Upsampler::kPixelShuffleDirect:
      UPRES_RETURN_IF_ERROR(add(f.up_, "upsample.0", dim, 3 * s2));
      break;
    case Upsampler::kNearestConv: {
      UPRES_RETURN_IF_ERROR(add(f.up_, "conv_before_upsample.0", dim, nf));
      for (int i = 1; (1 << i) <= config.upscale; ++i) UPRES_RETURN_IF_ERROR(add(f.up_, "conv_up" + s(i), nf, nf));
      UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_hr", nf, nf));
      UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_last", nf, 3));
      break;
    }
    case Upsampler::kNone:
      UPRES_RETURN_IF_ERROR(add(f.tail_, "conv_last", dim, 3));
      break;
  }
  return f;
}

// x: the normalised padded input [1, 3, hp, wp]; body: [1, C, hp, wp].
Value SwinFrame::reconstruct(Graph& g, Value x, Value body, int height, int width) const {
  const int scale = config_.upscale;
  auto nearest2 = [&](Value v) {
    return g.resize(v, {.mode = engine::ResizeMode::kNearest, .scale_h = 2.0f, .scale_w = 2.0f});
  };
  switch (config_.upsampler) {
    case Upsampler::kPixelShuffle: {
      Value y = g.leaky_relu(up_[0](g, body), 0.01f);                       // [1, nf, hp, wp]
      const std::vector<int> factors = shuffle_factors(scale);
      for (size_t i = 0; i < factors.size(); ++i) y = g.pixel_shuffle(up_[i + 1](g, y), factors[i]);
      return tail_[0](g, y);                                                 // [1, 3, s*hp, s*wp]
    }
    case Upsampler::kPixelShuffleAux: {
      const int64_t out_h = int64_t{height} * scale, out_w = int64_t{width} * scale;
      Value bicubic = g.resize(x, {.mode = engine::ResizeMode::kBicubic, .out_h = out_h, .out_w = out_w});
      bicubic = tail_[0](g, bicubic);                                        // [1, nf, s*h, s*w]
      const Value aux = tail_[1](g, g.leaky_relu(up_[0](g, body), 0.01f));   // [1, 3, hp, wp]
      Value y = g.leaky_relu(tail_[2](g, aux), 0.01f);                       // [1, nf, hp, wp]
      const std::vector<int> factors = shuffle_factors(scale);
      for (size_t i = 0; i < factors.size(); ++i) y = g.pixel_shuffle(up_[i + 1](g, y), factors[i]);
      if (g.shape(y)[2] != out_h) y = g.slice(y, 2, 0, out_h);
      if (g.shape(y)[3] != out_w) y = g.slice(y, 3, 0, out_w);
      return tail_[3](g, g.add(y, bicubic));                                 // [1, 3, s*h, s*w]
    }
    case Upsampler::kPixelShuffleDirect:
      return g.pixel_shuffle(up_[0](g, body), scale);
    case Upsampler::kNearestConv: {
      Value y = g.leaky_relu(up_[0](g, body), 0.01f);
      for (size_t i = 1; i < up_.size(); ++i) y = g.leaky_relu(up_[i](g, nearest2(y)), 0.2f);
      return tail_[1](g, g.leaky_relu(tail_[0](g, y), 0.2f));
    }
    case Upsampler::kNone:
      return g.add(x, tail_[0](g, body));
  }
  return body;
}

Result<Graph> SwinFrame::build_graph(int height, int width, const ResidualGroup& group, const char* name) const {
  if (height <= 0 || width <= 0) return invalid_argument(std::string(name) + ": input " + s(height) + "x" + s(width));
  const FrameConfig& c = config_;
  const int ws = c.window;
  const int pad_h = (ws - height % ws) % ws, pad_w = (ws - width % ws) % ws;
  const int64_t hp = height + pad_h, wp = width + pad_w;
  Graph g;
  const Value input = g.input("input", {1, 3, height, width});              // [1, 3, h, w]
  Value x = pad_bottom_right_reflect(g, input, pad_h, pad_w);               // [1, 3, hp, wp]
  x = g.scale(g.add(x, g.constant(mean_tensor(-1.0f))), c.img_range);       // (x - mean) * img_range
  const Value first = conv_first_(g, x);                                    // [1, C, hp, wp]
  Value t = to_tokens(g, patch_proj_ ? (*patch_proj_)(g, first) : first);   // [1, hp*wp, C]
  if (patch_norm_) t = (*patch_norm_)(g, t);
  for (size_t i = 0; i < c.depths.size(); ++i) {
    Value y = to_image(g, group(g, t, i, hp, wp), hp, wp);
    y = layer_convs_[i](g, y);
    if (c.is_v2) y = layer_projs_[i](g, y);
    t = g.add(to_tokens(g, y), t);
  }
  t = norm_(g, t);
  const Value body = g.add(conv_after_body_(g, to_image(g, t, hp, wp)), first);
  Value out = reconstruct(g, x, body, height, width);                       // [1, 3, s*hp, s*wp] (aux: s*h)
  out = g.add(g.scale(out, 1.0f / c.img_range), g.constant(mean_tensor(1.0f)));
  const int64_t out_h = int64_t{height} * c.upscale, out_w = int64_t{width} * c.upscale;
  if (g.status().is_ok() && g.shape(out)[2] != out_h) out = g.slice(out, 2, 0, out_h);
  if (g.status().is_ok() && g.shape(out)[3] != out_w) out = g.slice(out, 3, 0, out_w);
  g.mark_output(out);
  if (!g.status().is_ok()) return g.status().with_context(std::string(name) + " graph");
  return g;
}

// Live fp32 values per (padded) input pixel: the input, conv_first's output (read at the end) and
// a group's input tokens, plus the larger of (a) a block: the token stream, its norm / rolled /
// windowed copies, q, k, v and the attention output (~8C), and the score matrices (scores, plus
// bias, plus mask, softmax: 3 x heads x N per token live on the cpu backend) or the MLP's hidden
// pair; (b) the reconstruction: 2.5 nf-wide maps at s^2 the pixels (nearest+conv, pixelshuffle;
// the cpu backend's blocked layouts pad the 3-channel maps) or the conv to 3s^2 and its shuffle.
// Measured against both backends' arenas in tests/models/swinir_test.cpp (SwinIRMemory).
double SwinFrame::bytes_per_input_pixel() const {
  const FrameConfig& c = config_;
  const double dim = static_cast<double>(c.embed_dim);
  const double n = static_cast<double>(c.window) * c.window;
  const double heads = static_cast<double>(*std::max_element(c.heads.begin(), c.heads.end()));
  const double block = 8 * dim + std::max(3 * heads * n, 2 * static_cast<double>(c.mlp_hidden) + dim);
  const double s2 = static_cast<double>(c.upscale) * c.upscale;
  const double nf = static_cast<double>(c.num_feat);
  double tail = 2 * dim + 3;
  switch (c.upsampler) {
    case Upsampler::kPixelShuffle: case Upsampler::kNearestConv: tail = 2.5 * nf * s2 + 3 * s2; break;
    case Upsampler::kPixelShuffleAux: tail = 3.5 * nf * s2 + 3 * s2; break;
    case Upsampler::kPixelShuffleDirect: tail = 2 * 3 * s2; break;
    case Upsampler::kNone: break;
  }
  return 4.0 * (3 + 2 * dim + std::max(block, tail));
}

}  // namespace upres::models::swin
