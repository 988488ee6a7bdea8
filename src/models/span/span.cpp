// SPAN: configuration from weights, Conv3XC fusion, and the forward graph.
// Original: https://github.com/hongyuanyu/SPAN (basicsr/archs/span_arch.py), as spandrel ships it.
#include "models/span/span.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace upres::models {
namespace {

constexpr int64_t kMaxFeatures = 256;  // fusing a Conv3XC costs ~36 F^3 multiply-adds at load
constexpr int kGain = 2;                                   // Conv3XC(gain1=2) everywhere in SPAN
constexpr float kRgbMean[3] = {0.4488f, 0.4371f, 0.4040f};  // not in the weights (spandrel's values)
constexpr float kImgRange = 255.0f;

bool has_trained(const nn::StateDict& w, const std::string& key) { return w.has(key + ".sk.weight"); }
bool has_fused(const nn::StateDict& w, const std::string& key) { return w.has(key + ".eval_conv.weight"); }

Result<std::vector<double>> read(const nn::StateDict& weights, const std::string& key, const engine::Shape& shape) {
  UPRES_ASSIGN_OR_RETURN(const engine::Tensor t, weights.tensor(key, shape));
  const std::vector<float> values = t.to_f32();
  return std::vector<double>(values.begin(), values.end());
}

}  // namespace

bool SPAN::matches(const nn::StateDict& w) {
  if (!w.has("conv_cat.weight") || !w.has("upsampler.0.weight")) return false;
  const bool trained = has_trained(w, "conv_1") && has_trained(w, "block_1.c1_r");
  const bool fused = has_fused(w, "conv_1") && has_fused(w, "block_1.c1_r");
  return trained || fused;
}

Result<SPAN::Config> SPAN::Config::from_weights(const nn::StateDict& weights) {
  if (!matches(weights)) return unsupported("not a SPAN: keys " + weights.key_sample(6));
  Config c;
  c.form = has_trained(weights, "conv_1") && weights.has("conv_1.conv.0.weight") ? Form::kTrained : Form::kFused;
  const std::string first = c.form == Form::kTrained ? "conv_1.sk.weight" : "conv_1.eval_conv.weight";
  UPRES_ASSIGN_OR_RETURN(c.feature_channels, weights.dim(first, 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, weights.dim(first, 1));
  if (in_channels != 3) {
    return unsupported("SPAN with " + std::to_string(in_channels) + " input channels (upres runs RGB models only)");
  }
  if (c.feature_channels < 1 || c.feature_channels > kMaxFeatures) {
    return corrupt("SPAN: " + std::to_string(c.feature_channels) + " feature channels (" + first + ")");
  }
  UPRES_ASSIGN_OR_RETURN(const int64_t up_channels, weights.dim("upsampler.0.weight", 0));
  const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(up_channels / 3))));
  if (up_channels % 3 != 0 || root * root * 3 != up_channels || root < 1 || root > 8) {
    return corrupt("SPAN: upsampler.0.weight has " + std::to_string(up_channels) + " output channels, not 3 * scale^2");
  }
  c.upscale = static_cast<int>(root);
  c.norm = !weights.has("no_norm");
  return c;
}

Result<std::shared_ptr<const SPAN>> SPAN::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<SPAN> net(new SPAN(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const SPAN>(std::move(net));
}

// Conv3XC.update_params: conv.0 (1x1, in -> 2in), conv.1 (3x3, 2in -> 2out), conv.2 (1x1,
// 2out -> out) compose into one 3x3 conv; the 1x1 skip "sk" adds at the kernel's centre. Summed in
// double (the original composes with two F.conv2d calls in fp32).
Result<SPAN::FusedConv> SPAN::bind_conv3xc(const nn::StateDict& weights, const std::string& key, int64_t in,
                                           int64_t out) const {
  FusedConv conv;
  conv.name = key;
  if (config_.form == Form::kFused) {
    UPRES_ASSIGN_OR_RETURN(conv.weight, weights.tensor(key + ".eval_conv.weight", {out, in, 3, 3}));
    UPRES_ASSIGN_OR_RETURN(conv.bias, weights.tensor(key + ".eval_conv.bias", {out}));
    return conv;
  }
  const int64_t mid_in = in * kGain, mid_out = out * kGain;
  UPRES_ASSIGN_OR_RETURN(const auto w1, read(weights, key + ".conv.0.weight", {mid_in, in, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(const auto b1, read(weights, key + ".conv.0.bias", {mid_in}));
  UPRES_ASSIGN_OR_RETURN(const auto w2, read(weights, key + ".conv.1.weight", {mid_out, mid_in, 3, 3}));
  UPRES_ASSIGN_OR_RETURN(const auto b2, read(weights, key + ".conv.1.bias", {mid_out}));
  UPRES_ASSIGN_OR_RETURN(const auto w3, read(weights, key + ".conv.2.weight", {out, mid_out, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(const auto b3, read(weights, key + ".conv.2.bias", {out}));
  UPRES_ASSIGN_OR_RETURN(const auto sk_w, read(weights, key + ".sk.weight", {out, in, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(const auto sk_b, read(weights, key + ".sk.bias", {out}));
  // w12[m, i, t] = sum_j w2[m, j, t] w1[j, i]; b12[m] = sum_{j,t} w2[m, j, t] b1[j] + b2[m]
  std::vector<double> w12(static_cast<size_t>(mid_out * in * 9), 0.0), b12(b2);
  for (int64_t m = 0; m < mid_out; ++m) {
    for (int64_t j = 0; j < mid_in; ++j) {
      for (int64_t t = 0; t < 9; ++t) {
        const double w = w2[static_cast<size_t>((m * mid_in + j) * 9 + t)];
        b12[static_cast<size_t>(m)] += w * b1[static_cast<size_t>(j)];
        for (int64_t i = 0; i < in; ++i) w12[static_cast<size_t>((m * in + i) * 9 + t)] += w * w1[static_cast<size_t>(j * in + i)];
      }
    }
  }
  std::vector<float> weight(static_cast<size_t>(out * in * 9)), bias(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    double b = b3[static_cast<size_t>(o)] + sk_b[static_cast<size_t>(o)];
    for (int64_t m = 0; m < mid_out; ++m) b += w3[static_cast<size_t>(o * mid_out + m)] * b12[static_cast<size_t>(m)];
    bias[static_cast<size_t>(o)] = static_cast<float>(b);
    for (int64_t i = 0; i < in; ++i) {
      for (int64_t t = 0; t < 9; ++t) {
        double w = t == 4 ? sk_w[static_cast<size_t>(o * in + i)] : 0.0;
        for (int64_t m = 0; m < mid_out; ++m) {
          w += w3[static_cast<size_t>(o * mid_out + m)] * w12[static_cast<size_t>((m * in + i) * 9 + t)];
        }
        weight[static_cast<size_t>((o * in + i) * 9 + t)] = static_cast<float>(w);
      }
    }
  }
  UPRES_ASSIGN_OR_RETURN(conv.weight, engine::Tensor::from_f32(weight, {out, in, 3, 3}));
  UPRES_ASSIGN_OR_RETURN(conv.bias, engine::Tensor::from_f32(bias, {out}));
  return conv;
}

Status SPAN::bind(const nn::StateDict& weights) {
  const int64_t f = config_.feature_channels;
  const int64_t up = 3 * int64_t{config_.upscale} * config_.upscale;
  UPRES_ASSIGN_OR_RETURN(conv_1_, bind_conv3xc(weights, "conv_1", 3, f));
  for (int i = 0; i < 6; ++i) {
    const std::string key = "block_" + std::to_string(i + 1);
    UPRES_ASSIGN_OR_RETURN(blocks_[i].c1_r, bind_conv3xc(weights, key + ".c1_r", f, f));
    UPRES_ASSIGN_OR_RETURN(blocks_[i].c2_r, bind_conv3xc(weights, key + ".c2_r", f, f));
    UPRES_ASSIGN_OR_RETURN(blocks_[i].c3_r, bind_conv3xc(weights, key + ".c3_r", f, f));
  }
  UPRES_ASSIGN_OR_RETURN(conv_2_, bind_conv3xc(weights, "conv_2", f, f));
  UPRES_ASSIGN_OR_RETURN(conv_cat_weight_, weights.tensor("conv_cat.weight", {f, 4 * f, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(conv_cat_bias_, weights.tensor("conv_cat.bias", {f}));
  UPRES_ASSIGN_OR_RETURN(upsampler_weight_, weights.tensor("upsampler.0.weight", {up, f, 3, 3}));
  UPRES_ASSIGN_OR_RETURN(upsampler_bias_, weights.tensor("upsampler.0.bias", {up}));
  return Status::ok();
}

engine::Value SPAN::FusedConv::operator()(engine::Graph& graph, engine::Value x) const {
  return graph.named(graph.conv2d(x, weight, bias, {.padding = 1}), name);
}

std::pair<engine::Value, engine::Value> SPAN::block(engine::Graph& g, const Block& b, engine::Value x) const {
  // The original's SiLU is in place, so the out1 it returns is already activated.
  const engine::Value out1 = g.silu(b.c1_r(g, x));                             // [1, F, h, w]
  const engine::Value out3 = b.c3_r(g, g.silu(b.c2_r(g, out1)));
  const engine::Value sim_att = g.scale(g.sigmoid(out3), 1.0f, -0.5f);          // sigmoid(out3) - 0.5
  return {g.mul(g.add(out3, x), sim_att), out1};
}

Result<engine::Graph> SPAN::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("SPAN: input " + std::to_string(height) + "x" + std::to_string(width));
  }
  engine::Graph g;
  engine::Value x = g.input("input", {1, 3, height, width});                   // [1, 3, h, w]
  if (config_.norm) {
    const float minus_mean[3] = {-kRgbMean[0], -kRgbMean[1], -kRgbMean[2]};
    x = g.scale(g.add(x, g.constant(*engine::Tensor::from_f32(minus_mean, {1, 3, 1, 1}))), kImgRange);
  }
  const engine::Value out_feature = conv_1_(g, x);                             // [1, F, h, w]
  engine::Value out = out_feature, out_b1, out_b5_2;
  for (int i = 0; i < 6; ++i) {
    auto [next, out1] = block(g, blocks_[i], out);
    out = next;
    if (i == 0) out_b1 = out;
    if (i == 5) out_b5_2 = out1;
  }
  const engine::Value out_b6 = conv_2_(g, out);
  out = g.conv2d(g.concat({out_feature, out_b6, out_b1, out_b5_2}, 1), conv_cat_weight_, conv_cat_bias_);
  out = g.pixel_shuffle(g.conv2d(out, upsampler_weight_, upsampler_bias_, {.padding = 1}), config_.upscale);
  g.mark_output(out);                                                          // [1, 3, s h, s w]
  if (!g.status().is_ok()) return g.status().with_context("SPAN graph");
  return g;
}

// Peak of the fp32 values alive at once: out_feature and out_b1 (read by the final concat), a
// block's input, out1, its SiLU, out3, the attention and the product, the concat (4F) and its
// conv (about 8 F in all at once, both backends), plus the tail's 3 s^2 channels twice. Measured
// in tests/models/span_test.cpp.
double SPAN::bytes_per_input_pixel() const {
  const double f = static_cast<double>(config_.feature_channels);
  const double s2 = static_cast<double>(config_.upscale) * config_.upscale;
  return 4.0 * (3.0 + 8 * f + 2 * (3 * s2));
}

}  // namespace upres::models
