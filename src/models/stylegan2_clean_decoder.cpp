// StyleGAN2CleanDecoder: weight binding, the generator graph and each face's modulation factors.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/stylegan2_clean_arch.py
#include "models/stylegan2_clean_decoder.h"

#include <cmath>
#include <utility>
#include <vector>

namespace upres::models {
namespace {

constexpr float kLeakySlope = 0.2f;
const float kStyleConvGain = std::sqrt(2.0f);  // StyleConv: modulated_conv(x, style) * 2**0.5

}  // namespace

Result<StyleGAN2CleanDecoder::StyleConv> StyleGAN2CleanDecoder::bind_style_conv(
    const nn::StateDict& weights, const std::string& key, const ModulatedConv2dShape& shape,
    int noise_index) {
  StyleConv layer;
  const int64_t out = shape.out_channels;
  UPRES_ASSIGN_OR_RETURN(layer.conv,
                         ModulatedConv2d::bind(weights, key + ".modulated_conv", shape));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor strength, weights.tensor(key + ".weight", {1}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor bias, weights.tensor(key + ".bias", {1, out, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(layer.bias, bias.reshaped({out}));
  const std::vector<float> noise_weight(static_cast<size_t>(out), strength.get(0));
  UPRES_ASSIGN_OR_RETURN(layer.noise_weight,
                         engine::Tensor::from_f32(noise_weight, {out, 1, 1, 1}));
  const int64_t r = int64_t{1} << ((noise_index + 5) / 2);  // resolution of layer noise_index
  UPRES_ASSIGN_OR_RETURN(
      layer.noise,
      weights.tensor(prefix_ + ".noises.noise" + std::to_string(noise_index), {1, 1, r, r}));
  return layer;
}

Result<StyleGAN2CleanDecoder::ToRGB> StyleGAN2CleanDecoder::bind_to_rgb(
    const nn::StateDict& weights, const std::string& key, int64_t in_channels) {
  ToRGB layer;
  const ModulatedConv2dShape shape{.in_channels = in_channels,
                                   .out_channels = 3,
                                   .kernel = 1,
                                   .num_style_feat = config_.num_style_feat,
                                   .demodulate = false};
  UPRES_ASSIGN_OR_RETURN(layer.conv,
                         ModulatedConv2d::bind(weights, key + ".modulated_conv", shape));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor bias, weights.tensor(key + ".bias", {1, 3, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(layer.bias, bias.reshaped({3}));
  return layer;
}

Result<StyleGAN2CleanDecoder> StyleGAN2CleanDecoder::bind(const nn::StateDict& weights,
                                                          const std::string& prefix,
                                                          Config config) {
  if (config.log_size < 3 || config.channels.size() != static_cast<size_t>(config.log_size + 1)) {
    return invalid_argument("StyleGAN2 decoder: log_size " + std::to_string(config.log_size) +
                            " with " + std::to_string(config.channels.size()) + " channel entries");
  }
  StyleGAN2CleanDecoder d;
  d.config_ = std::move(config);
  d.prefix_ = prefix;
  const Config& c = d.config_;
  const int64_t c4 = c.channels[2];
  UPRES_ASSIGN_OR_RETURN(d.constant_input_,
                         weights.tensor(prefix + ".constant_input.weight", {1, c4, 4, 4}));
  const ModulatedConv2dShape first{
      .in_channels = c4, .out_channels = c4, .num_style_feat = c.num_style_feat};
  UPRES_ASSIGN_OR_RETURN(d.style_conv1_,
                         d.bind_style_conv(weights, prefix + ".style_conv1", first, 0));
  UPRES_ASSIGN_OR_RETURN(d.to_rgb1_, d.bind_to_rgb(weights, prefix + ".to_rgb1", c4));
  d.style_conv1_.latent = 0;
  d.to_rgb1_.latent = 1;
  int64_t in = c4;
  for (int i = 3; i <= c.log_size; ++i) {
    const int level = i - 3;
    const int64_t out = c.channels[static_cast<size_t>(i)];
    const std::string conv_key = prefix + ".style_convs.";
    ModulatedConv2dShape shape{.in_channels = in,
                               .out_channels = out,
                               .num_style_feat = c.num_style_feat,
                               .upsample = true};
    UPRES_ASSIGN_OR_RETURN(
        StyleConv up,
        d.bind_style_conv(weights, conv_key + std::to_string(2 * level), shape, 2 * level + 1));
    shape.in_channels = out;
    shape.upsample = false;
    UPRES_ASSIGN_OR_RETURN(
        StyleConv same,
        d.bind_style_conv(weights, conv_key + std::to_string(2 * level + 1), shape, 2 * level + 2));
    UPRES_ASSIGN_OR_RETURN(
        ToRGB rgb, d.bind_to_rgb(weights, prefix + ".to_rgbs." + std::to_string(level), out));
    up.latent = 2 * level + 1;
    same.latent = 2 * level + 2;
    rgb.latent = 2 * level + 3;
    d.style_convs_.push_back(std::move(up));
    d.style_convs_.push_back(std::move(same));
    d.to_rgbs_.push_back(std::move(rgb));
    in = out;
  }
  return d;
}

engine::Value StyleGAN2CleanDecoder::style(engine::Graph& g, engine::Value latents, int latent) const {
  const int64_t nf = config_.num_style_feat;
  if (g.shape(latents)[1] == nf) return latents;
  return g.slice(latents, 1, latent * nf, (latent + 1) * nf);
}

// x: [1, in, r, r] -> [1, out, r', r']. The noise term strength * noise + bias is a 1x1 conv of the
// stored [1, 1, r', r'] noise (a broadcast add would run on oneDNN's slow reference kernel).
engine::Value StyleGAN2CleanDecoder::style_conv(engine::Graph& g, const StyleConv& layer, engine::Value x,
                                                engine::Value latents, FactorSums sums) const {
  const ModulatedConv2d::Factors f = layer.conv.factors(g, style(g, latents, layer.latent), kStyleConvGain, sums);
  engine::Value out = layer.conv(g, x, f.scale, f.demod);                                   // [1, out, r', r']
  engine::Value noise = g.conv2d(g.constant(layer.noise), layer.noise_weight, layer.bias);  // [1, out, r', r']
  return g.leaky_relu(g.add(out, noise), kLeakySlope);
}

// x: [1, in, r, r], skip: [1, 3, r/2, r/2] or invalid -> [1, 3, r, r]
engine::Value StyleGAN2CleanDecoder::to_rgb(engine::Graph& g, const ToRGB& layer, engine::Value x,
                                            engine::Value skip, engine::Value latents, FactorSums sums) const {
  const ModulatedConv2d::Factors f = layer.conv.factors(g, style(g, latents, layer.latent), 1.0f, sums);
  engine::Value out = layer.conv(g, x, f.scale, {}, layer.bias);
  if (!skip.is_valid()) return out;
  const engine::ResizeAttrs up{.mode = engine::ResizeMode::kBilinear, .scale_h = 2, .scale_w = 2};
  return g.add(out, g.resize(skip, up));
}

// x: [1, C, r, r]; scale, shift: [1, C/2, r, r] (sft_half) or [1, C, r, r].
engine::Value StyleGAN2CleanDecoder::sft(engine::Graph& g, engine::Value x, engine::Value scale,
                                         engine::Value shift) const {
  if (!config_.sft_half) return g.add(g.mul(x, scale), shift);
  const int64_t channels = g.shape(x)[1];
  const int64_t half = channels / 2;
  engine::Value same = g.slice(x, 1, 0, half);
  engine::Value modulated = g.add(g.mul(g.slice(x, 1, half, channels), scale), shift);
  return g.concat({same, modulated});
}

engine::Value StyleGAN2CleanDecoder::forward(engine::Graph& g, const std::vector<engine::Value>& conditions,
                                             engine::Value latents, FactorSums sums) const {
  engine::Value out = g.constant(constant_input_);  // [1, C4, 4, 4]
  out = style_conv(g, style_conv1_, out, latents, sums);
  engine::Value skip = to_rgb(g, to_rgb1_, out, {}, latents, sums);  // [1, 3, 4, 4]
  for (size_t level = 0; level < to_rgbs_.size(); ++level) {
    out = style_conv(g, style_convs_[2 * level], out, latents, sums);  // [1, C, 2r, 2r]
    if (2 * level + 1 < conditions.size()) {
      out = sft(g, out, conditions[2 * level], conditions[2 * level + 1]);
    }
    out = style_conv(g, style_convs_[2 * level + 1], out, latents, sums);
    skip = to_rgb(g, to_rgbs_[level], out, skip, latents, sums);  // [1, 3, 2r, 2r]
  }
  return skip;
}

}  // namespace upres::models
