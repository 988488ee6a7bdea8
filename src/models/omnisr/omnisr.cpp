// OmniSR: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/Francis0625/Omni-SR (ops/OmniSR.py), as spandrel ships it.
#include "models/omnisr/omnisr.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace upres::models {
namespace {

constexpr int64_t kMaxFeatures = 1024;
constexpr int kMaxGroups = 64;
constexpr int kMaxWindow = 64;

int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

bool OmniSR::matches(const nn::StateDict& weights) {
  return weights.has("residual_layer.0.residual_layer.0.layer.0.fn.0.weight") && weights.has("input.weight") &&
         weights.has("up.0.weight");
}

Result<OmniSR::Config> OmniSR::Config::from_weights(const nn::StateDict& weights) {
  if (!matches(weights)) return unsupported("not an OmniSR: keys " + weights.key_sample(6));
  Config c;
  UPRES_ASSIGN_OR_RETURN(c.num_feat, weights.dim("input.weight", 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, weights.dim("input.weight", 1));
  if (in_channels != 3) {
    return unsupported("OmniSR with " + std::to_string(in_channels) + " input channels (upres runs RGB models only)");
  }
  if (c.num_feat < 4 || c.num_feat > kMaxFeatures || c.num_feat % 4 != 0) {
    return corrupt("OmniSR: num_feat " + std::to_string(c.num_feat) + " (input.weight) is not a multiple of 4 in [4, " +
                   std::to_string(kMaxFeatures) + "]");
  }
  c.bias = weights.has("input.bias");
  UPRES_ASSIGN_OR_RETURN(const int64_t up_channels, weights.dim("up.0.weight", 0));
  const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(up_channels / 3))));
  if (up_channels % 3 != 0 || root * root * 3 != up_channels || root < 1 || root > 8) {
    return corrupt("OmniSR: up.0.weight has " + std::to_string(up_channels) + " output channels, not 3 * scale^2");
  }
  c.upscale = static_cast<int>(root);
  c.res_num = weights.seq_len("residual_layer");
  c.block_num = weights.seq_len("residual_layer.0.residual_layer") - 1;
  if (c.res_num < 1 || c.res_num > kMaxGroups || c.block_num < 1 || c.block_num > kMaxGroups) {
    return corrupt("OmniSR: " + std::to_string(c.res_num) + " groups of " + std::to_string(c.block_num) + " blocks");
  }
  const std::string pe_key = "residual_layer.0.residual_layer.0.layer.2.fn.rel_pos_bias.weight";
  c.with_pe = weights.has(pe_key);
  if (c.with_pe) {
    UPRES_ASSIGN_OR_RETURN(const int64_t rows, weights.dim(pe_key, 0));
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(rows))));
    if (side * side != rows || side % 2 == 0 || (side + 1) / 2 > kMaxWindow) {
      return corrupt("OmniSR: " + pe_key + " has " + std::to_string(rows) + " rows, not (2 * window - 1)^2");
    }
    c.window_size = static_cast<int>((side + 1) / 2);
  }
  return c;
}

Result<std::shared_ptr<const OmniSR>> OmniSR::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<OmniSR> net(new OmniSR(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const OmniSR>(std::move(net));
}

Status OmniSR::bind(const nn::StateDict& weights) {
  using omnisr::Bias;
  using omnisr::Conv;
  const Config& c = config_;
  const int64_t nf = c.num_feat;
  const Bias bias = c.bias ? Bias::kRequired : Bias::kAbsent;
  UPRES_ASSIGN_OR_RETURN(input_, Conv::bind(weights, "input", {.in_channels = 3, .out_channels = nf, .kernel = 3,
                                                               .bias = bias}));
  UPRES_ASSIGN_OR_RETURN(output_, Conv::bind(weights, "output", {.in_channels = nf, .out_channels = nf, .kernel = 3,
                                                                 .bias = bias}));
  UPRES_ASSIGN_OR_RETURN(up_, Conv::bind(weights, "up.0", {.in_channels = nf,
                                                           .out_channels = 3 * c.upscale * c.upscale, .kernel = 3,
                                                           .bias = bias}));
  for (int r = 0; r < c.res_num; ++r) {
    const std::string key = "residual_layer." + std::to_string(r);
    Group group;
    for (int b = 0; b < c.block_num; ++b) {
      UPRES_ASSIGN_OR_RETURN(omnisr::OSABlock block,
                             omnisr::OSABlock::bind(weights, key + ".residual_layer." + std::to_string(b), nf,
                                                    c.window_size, c.with_pe));
      group.blocks.push_back(std::move(block));
    }
    UPRES_ASSIGN_OR_RETURN(group.conv, Conv::bind(weights, key + ".residual_layer." + std::to_string(c.block_num),
                                                  {.in_channels = nf, .out_channels = nf, .bias = bias}));
    UPRES_ASSIGN_OR_RETURN(group.esa, omnisr::ESA::bind(weights, key + ".esa", nf));
    groups_.push_back(std::move(group));
  }
  return Status::ok();
}

int OmniSR::padded_side(int side) const {
  const int window = config_.window_size;
  return std::max(round_up(side, window), round_up(omnisr::ESA::kMinSide, window));
}

Result<engine::Graph> OmniSR::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("OmniSR: input " + std::to_string(height) + "x" + std::to_string(width));
  }
  const int s = config_.upscale;
  const int padded_h = padded_side(height), padded_w = padded_side(width);
  engine::Graph g;
  engine::Value x = g.input("input", {1, 3, height, width});                          // [1, 3, h, w]
  if (padded_h != height || padded_w != width) {
    // check_image_size: F.pad(x, (0, pad_w, 0, pad_h), "constant"); also up to ESA's minimum side,
    // where the original fails.
    x = g.pad(x, {.right = padded_w - width, .bottom = padded_h - height});
  }
  const engine::Value residual = input_(g, x);                                        // [1, nf, H, W]
  engine::Value out = residual;
  for (const Group& group : groups_) {
    engine::Value y = out;
    for (const omnisr::OSABlock& block : group.blocks) y = block(g, y);
    out = group.esa(g, g.add(group.conv(g, y), out));
  }
  out = g.add(output_(g, out), residual);
  out = g.pixel_shuffle(up_(g, out), s);                                              // [1, 3, sH, sW]
  if (padded_h != height) out = g.slice(out, 2, 0, int64_t{height} * s);
  if (padded_w != width) out = g.slice(out, 3, 0, int64_t{width} * s);
  g.mark_output(out);
  if (!g.status().is_ok()) return g.status().with_context("OmniSR graph");
  return g;
}

// Peak of the fp32 values alive at once, per (padded) input pixel: the block's input and residual,
// a channel attention's qkv (3C) and its permuted copy, q and k doubled (4C) with their transposes,
// or a window attention's scores and softmax (2 x heads x N per pixel) next to about 6C; plus the tail's 3 s^2
// channels three times. Measured against the arena in tests/models/omnisr_test.cpp.
double OmniSR::bytes_per_input_pixel() const {
  const double c = static_cast<double>(config_.num_feat);
  const double n = static_cast<double>(config_.window_size) * config_.window_size;
  const double s2 = static_cast<double>(config_.upscale) * config_.upscale;
  const double body = 4 * c + std::max(12 * c, 6 * c + 2 * 4 * n);
  const double tail = 2 * c + 3 * (3 * s2);
  return 4.0 * (3.0 + std::max(body, tail));
}

}  // namespace upres::models
