// GfpganUnet: weight binding and the encoder / condition graph fragments.
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/gfpganv1_clean_arch.py
#include "models/gfpgan_unet.h"

#include <utility>

namespace upres::models {
namespace {

constexpr float kLeakySlope = 0.2f;

}  // namespace

Result<GfpganUnet::ResBlock> GfpganUnet::bind_res_block(const nn::StateDict& weights,
                                                        const std::string& key, int64_t in,
                                                        int64_t out, float scale_factor) {
  ResBlock block;
  block.scale_factor = scale_factor;
  UPRES_ASSIGN_OR_RETURN(block.conv1, nn::Conv2d::bind(weights, key + ".conv1",
                                                       {.in_channels = in, .out_channels = in}));
  UPRES_ASSIGN_OR_RETURN(block.conv2, nn::Conv2d::bind(weights, key + ".conv2",
                                                       {.in_channels = in, .out_channels = out}));
  UPRES_ASSIGN_OR_RETURN(
      block.skip,
      nn::Conv2d::bind(
          weights, key + ".skip",
          {.in_channels = in, .out_channels = out, .kernel = 1, .padding = 0, .has_bias = false}));
  return block;
}

Result<GfpganUnet::ConditionBranch> GfpganUnet::bind_condition(const nn::StateDict& weights,
                                                               const std::string& key,
                                                               int64_t channels, int64_t out) {
  ConditionBranch branch;
  UPRES_ASSIGN_OR_RETURN(
      branch.conv0,
      nn::Conv2d::bind(weights, key + ".0", {.in_channels = channels, .out_channels = channels}));
  UPRES_ASSIGN_OR_RETURN(
      branch.conv2,
      nn::Conv2d::bind(weights, key + ".2", {.in_channels = channels, .out_channels = out}));
  return branch;
}

Result<GfpganUnet> GfpganUnet::bind(const nn::StateDict& weights, Config config) {
  if (config.log_size < 3 || config.channels.size() != static_cast<size_t>(config.log_size + 1)) {
    return invalid_argument("GFPGAN U-Net: log_size " + std::to_string(config.log_size) + " with " +
                            std::to_string(config.channels.size()) + " channel entries");
  }
  GfpganUnet u;
  u.config_ = std::move(config);
  const Config& c = u.config_;
  const auto ch = [&c](int i) { return c.channels[static_cast<size_t>(i)]; };
  UPRES_ASSIGN_OR_RETURN(
      u.conv_body_first_,
      nn::Conv2d::bind(
          weights, "conv_body_first",
          {.in_channels = 3, .out_channels = ch(c.log_size), .kernel = 1, .padding = 0}));
  for (int i = c.log_size; i > 2; --i) {
    const std::string key = "conv_body_down." + std::to_string(c.log_size - i);
    UPRES_ASSIGN_OR_RETURN(ResBlock block, bind_res_block(weights, key, ch(i), ch(i - 1), 0.5f));
    u.conv_body_down_.push_back(std::move(block));
  }
  UPRES_ASSIGN_OR_RETURN(
      u.final_conv_,
      nn::Conv2d::bind(weights, "final_conv", {.in_channels = ch(2), .out_channels = ch(2)}));
  UPRES_ASSIGN_OR_RETURN(u.final_linear_weight_,
                         weights.tensor("final_linear.weight", {c.style_code_size, ch(2) * 16}));
  UPRES_ASSIGN_OR_RETURN(u.final_linear_bias_,
                         weights.tensor("final_linear.bias", {c.style_code_size}));
  for (int i = 3; i <= c.log_size; ++i) {
    const std::string index = std::to_string(i - 3);
    UPRES_ASSIGN_OR_RETURN(
        ResBlock block, bind_res_block(weights, "conv_body_up." + index, ch(i - 1), ch(i), 2.0f));
    u.conv_body_up_.push_back(std::move(block));
    const int64_t sft_out = c.sft_half ? ch(i) : 2 * ch(i);
    UPRES_ASSIGN_OR_RETURN(ConditionBranch scale,
                           bind_condition(weights, "condition_scale." + index, ch(i), sft_out));
    UPRES_ASSIGN_OR_RETURN(ConditionBranch shift,
                           bind_condition(weights, "condition_shift." + index, ch(i), sft_out));
    u.condition_scale_.push_back(std::move(scale));
    u.condition_shift_.push_back(std::move(shift));
  }
  return u;
}

// F.interpolate(x, scale_factor, bilinear, align_corners=False). At 0.5 on an even size every
// output samples the centre of a 2x2 block with weights 1/4: exactly avg_pool2d(2), which the
// cpu backend runs in oneDNN instead of the single-threaded reference resize.
engine::Value GfpganUnet::ResBlock::resample(engine::Graph& g, engine::Value x) const {
  if (scale_factor == 0.5f) return g.avg_pool2d(x, {.kernel = 2});
  return g.resize(
      x, {.mode = engine::ResizeMode::kBilinear, .scale_h = scale_factor, .scale_w = scale_factor});
}

// x: [1, in, r, r] -> [1, out, r * scale_factor, r * scale_factor]
engine::Value GfpganUnet::ResBlock::forward(engine::Graph& g, engine::Value x) const {
  engine::Value out = g.leaky_relu(conv1(g, x), kLeakySlope);
  out = g.leaky_relu(conv2(g, resample(g, out)), kLeakySlope);
  return g.add(out, skip(g, resample(g, x)));
}

engine::Value GfpganUnet::ConditionBranch::forward(engine::Graph& g, engine::Value x) const {
  return conv2(g, g.leaky_relu(conv0(g, x), kLeakySlope));
}

GfpganUnet::Encoding GfpganUnet::encode(engine::Graph& g, engine::Value x) const {
  Encoding e;
  engine::Value feat = g.leaky_relu(conv_body_first_(g, x), kLeakySlope);  // [1, C_S, S, S]
  for (const ResBlock& block : conv_body_down_) {
    feat = block.forward(g, feat);  // halves each time
    e.skips.insert(e.skips.begin(), feat);
  }
  e.feat = g.leaky_relu(final_conv_(g, feat), kLeakySlope);  // [1, C4, 4, 4]
  const int64_t flat = final_linear_weight_.dim(1);
  e.style_code =
      g.named(g.linear(g.reshape(e.feat, {1, flat}), final_linear_weight_, final_linear_bias_),
              "final_linear");  // [1, style_code_size]
  return e;
}

std::vector<engine::Value> GfpganUnet::conditions(engine::Graph& g, engine::Value feat,
                                                  const std::vector<engine::Value>& skips) const {
  std::vector<engine::Value> out;
  for (size_t i = 0; i < conv_body_up_.size() && i < skips.size(); ++i) {
    feat = conv_body_up_[i].forward(g, g.add(feat, skips[i]));  // [1, C_r, r, r], r = 8 << i
    out.push_back(condition_scale_[i].forward(g, feat));
    out.push_back(condition_shift_[i].forward(g, feat));
  }
  return out;
}

}  // namespace upres::models
