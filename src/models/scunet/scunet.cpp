// SCUNet: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/cszn/SCUNet/blob/main/models/network_scunet.py
#include "models/scunet/scunet.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace upres::models {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

// Resolution level (halvings) of each stage in kStages order.
constexpr std::array<int, 7> kLevel = {0, 1, 2, 3, 2, 1, 0};

bool is_down(size_t stage) { return stage < 3; }
bool is_up(size_t stage) { return stage > 3; }

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

bool SCUNet::matches(const nn::StateDict& weights) {
  const std::vector<int64_t>* head = weights.shape("m_head.0.weight");
  const std::vector<int64_t>* tail = weights.shape("m_tail.0.weight");
  if (head == nullptr || tail == nullptr || head->size() != 4 || tail->size() != 4) return false;
  for (const std::string& key : weights.keys()) {
    if (key.starts_with("m_") && key.ends_with(".trans_block.msa.relative_position_params")) return true;
  }
  return false;
}

Result<SCUNet::Config> SCUNet::Config::from_weights(const nn::StateDict& weights) {
  if (!matches(weights)) return unsupported("not an SCUNet: keys " + weights.key_sample(6));
  Config c;
  UPRES_ASSIGN_OR_RETURN(c.dim, weights.dim("m_head.0.weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.in_channels, weights.dim("m_head.0.weight", 1));
  if (c.dim < 2 || c.dim % 2 != 0) {
    return corrupt("SCUNet: m_head.0.weight has " + std::to_string(c.dim) + " output channels, expected an even count");
  }
  if (c.in_channels != 3) {
    return unsupported("SCUNet with " + std::to_string(c.in_channels) +
                       " input channels (upres runs RGB models only)");
  }
  for (size_t i = 0; i < kStages.size(); ++i) {
    const int length = weights.seq_len(kStages[i]);
    const int sampling = i == 3 ? 0 : 1;  // the down conv or up transposed conv in the sequence
    if (length < sampling) return not_found(std::string("SCUNet: no ") + kStages[i] + " weights");
    c.blocks[i] = length - sampling;
  }
  return c;
}

Result<std::shared_ptr<const SCUNet>> SCUNet::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<SCUNet> net(new SCUNet(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const SCUNet>(std::move(net));
}

int64_t SCUNet::stage_channels(size_t stage) const { return config_.dim << kLevel[stage]; }

Status SCUNet::bind(const nn::StateDict& weights) {
  const Config& c = config_;
  UPRES_ASSIGN_OR_RETURN(head_, nn::Conv2d::bind(weights, "m_head.0", {.in_channels = c.in_channels,
                                                                       .out_channels = c.dim, .has_bias = false}));
  UPRES_ASSIGN_OR_RETURN(tail_, nn::Conv2d::bind(weights, "m_tail.0", {.in_channels = c.dim,
                                                                       .out_channels = c.in_channels,
                                                                       .has_bias = false}));
  for (size_t i = 0; i < kStages.size(); ++i) {
    const std::string prefix = kStages[i];
    const int64_t channels = stage_channels(i);
    const int first = is_up(i) ? 1 : 0;
    for (int b = 0; b < c.blocks[i]; ++b) {
      UPRES_ASSIGN_OR_RETURN(scunet::ConvTransBlock block,
                             scunet::ConvTransBlock::bind(weights, prefix + "." + std::to_string(first + b),
                                                          channels / 2, b % 2 == 1));
      stages_[i].push_back(std::move(block));
    }
    if (is_down(i)) {
      const std::string key = prefix + "." + std::to_string(c.blocks[i]) + ".weight";
      UPRES_ASSIGN_OR_RETURN(down_[i], weights.tensor(key, {2 * channels, channels, 2, 2}));
    } else if (is_up(i)) {
      UPRES_ASSIGN_OR_RETURN(up_[i - 4], weights.tensor(prefix + ".0.weight", {2 * channels, channels, 2, 2}));
    }
  }
  return Status::ok();
}

Result<engine::Graph> SCUNet::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("SCUNet: input " + std::to_string(height) + "x" + std::to_string(width));
  }
  const int64_t padded_h = round_up(height, kPadMultiple), padded_w = round_up(width, kPadMultiple);
  Graph g;
  const Value input = g.input("input", {1, config_.in_channels, height, width});  // [1, 3, h, w]
  Value x0 = input;
  if (padded_h != height || padded_w != width) {
    x0 = g.pad(input, {.right = static_cast<int>(padded_w - width), .bottom = static_cast<int>(padded_h - height),
                       .mode = engine::PadMode::kReplicate});                    // [1, 3, H, W]
  }
  // One shifted-window mask per resolution level, shared by that level's 'SW' blocks.
  std::array<Value, 4> masks;
  auto run_stage = [&](size_t stage, Value x) {
    const int level = kLevel[stage];
    for (const scunet::ConvTransBlock& block : stages_[stage]) {
      if (block.is_shifted() && !masks[level].is_valid()) {
        masks[level] = g.constant(scunet::shifted_window_mask(padded_h >> level, padded_w >> level));
      }
      x = block(g, x, masks[level]);
    }
    return x;
  };
  const engine::Conv2dAttrs halve{.stride = 2};
  const engine::ConvTranspose2dAttrs twice{.stride = 2};
  const Value x1 = head_(g, x0);                                                 // [1, d, H, W]
  const Value x2 = g.named(g.conv2d(run_stage(0, x1), down_[0], {}, halve), "m_down1");  // [1, 2d, H/2, W/2]
  const Value x3 = g.named(g.conv2d(run_stage(1, x2), down_[1], {}, halve), "m_down2");  // [1, 4d, H/4, W/4]
  const Value x4 = g.named(g.conv2d(run_stage(2, x3), down_[2], {}, halve), "m_down3");  // [1, 8d, H/8, W/8]
  Value x = run_stage(3, x4);
  x = run_stage(4, g.named(g.conv_transpose2d(g.add(x, x4), up_[0], {}, twice), "m_up3.0"));  // [1, 4d, H/4, W/4]
  x = run_stage(5, g.named(g.conv_transpose2d(g.add(x, x3), up_[1], {}, twice), "m_up2.0"));  // [1, 2d, H/2, W/2]
  x = run_stage(6, g.named(g.conv_transpose2d(g.add(x, x2), up_[2], {}, twice), "m_up1.0"));  // [1, d, H, W]
  x = tail_(g, g.add(x, x1));                                                    // [1, 3, H, W]
  if (padded_h != height) x = g.slice(x, 2, 0, height);
  if (padded_w != width) x = g.slice(x, 3, 0, width);                            // [1, 3, h, w]
  g.mark_output(x);
  if (!g.status().is_ok()) return g.status().with_context("SCUNet graph");
  return g;
}

// fp32 bytes alive at the peak, per input pixel: about 8.5 x dim channels at full resolution (the
// skips x1..x4, a block's input, its 1x1 output and branches, the MLP's 4x hidden tokens), three
// attention score buffers (scores, biased, softmax: heads x 64 per pixel of their level) and the
// shifted-window mask constants (64 per pixel of each level: 85 in all). Measured against the
// planned arena in tests/models/scunet_test.cpp.
double SCUNet::bytes_per_input_pixel() const {
  double score_floats = 0;
  for (size_t i = 0; i < kStages.size(); ++i) {
    if (stages_[i].empty()) continue;
    const double per_pixel = static_cast<double>(stages_[i].front().heads()) * scunet::kWindow * scunet::kWindow /
                             static_cast<double>(int64_t{1} << (2 * kLevel[i]));
    score_floats = std::max(score_floats, per_pixel);
  }
  return 4.0 * (8.5 * static_cast<double>(config_.dim) + 3.0 * score_floats + 85.0);
}

}  // namespace upres::models
