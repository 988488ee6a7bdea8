// SRVGGNetCompact: configuration from weights, weight binding, and the forward graph.
// Original: https://github.com/xinntao/Real-ESRGAN/blob/master/realesrgan/archs/srvgg_arch.py
#include "models/srvgg_net_compact.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>

namespace upres::models {
namespace {

// spandrel's get_scale_and_output_channels: channels = out * scale^2 for out in {in, 3, 4, 1}.
bool split_scale(int64_t channels, int64_t in_channels, int64_t* out, int* scale) {
  for (int64_t c : {in_channels, int64_t{3}, int64_t{4}, int64_t{1}}) {
    if (c <= 0 || channels % c != 0) continue;
    const int64_t square = channels / c;
    const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(square))));
    if (root * root == square) {
      *out = c;
      *scale = static_cast<int>(root);
      return true;
    }
  }
  return false;
}

std::optional<SRVGGNetCompact::ActType> act_from_metadata(const nn::StateDict& weights) {
  const auto& metadata = weights.weight_map().metadata();
  const auto it = metadata.find("act_type");
  if (it == metadata.end()) return std::nullopt;
  if (it->second == "relu") return SRVGGNetCompact::ActType::kRelu;
  if (it->second == "leakyrelu") return SRVGGNetCompact::ActType::kLeakyRelu;
  if (it->second == "prelu") return SRVGGNetCompact::ActType::kPrelu;
  return std::nullopt;
}

}  // namespace

bool SRVGGNetCompact::matches(const nn::StateDict& weights) {
  const std::vector<int64_t>* first = weights.shape("body.0.weight");
  if (first == nullptr || first->size() != 4) return false;
  for (const std::string& key : weights.keys()) {
    std::string_view rest(key);
    if (!rest.starts_with("body.")) return false;
    rest.remove_prefix(5);
    int index = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (error != std::errc()) return false;
    const std::string_view field(end, static_cast<size_t>(rest.data() + rest.size() - end));
    if (field != ".weight" && field != ".bias") return false;
  }
  return true;
}

Result<SRVGGNetCompact::Config> SRVGGNetCompact::Config::from_weights(const nn::StateDict& weights,
                                                                      std::optional<ActType> weightless_act) {
  if (!matches(weights)) return unsupported("not an SRVGGNetCompact: keys " + weights.key_sample(6));
  Config c;
  const int last = weights.seq_len("body") - 1;  // index of the last conv
  if (last < 2 || last % 2 != 0) {
    return corrupt("SRVGGNetCompact: last body index " + std::to_string(last) + ", expected an even index >= 2");
  }
  c.num_conv = (last - 2) / 2;
  UPRES_ASSIGN_OR_RETURN(c.num_feat, weights.dim("body.0.weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.in_channels, weights.dim("body.0.weight", 1));
  const std::string last_key = "body." + std::to_string(last) + ".weight";
  UPRES_ASSIGN_OR_RETURN(const int64_t last_out, weights.dim(last_key, 0));
  if (!split_scale(last_out, c.in_channels, &c.out_channels, &c.upscale)) {
    return corrupt("SRVGGNetCompact: " + last_key + " has " + std::to_string(last_out) +
                   " output channels, not channels * scale^2");
  }
  if (c.in_channels != 3 || c.out_channels != 3) {
    return unsupported("SRVGGNetCompact with " + std::to_string(c.in_channels) + " input and " +
                       std::to_string(c.out_channels) + " output channels (upres runs RGB models only)");
  }
  if (weights.has("body.1.weight")) {
    c.act_type = ActType::kPrelu;
  } else {
    c.act_type = weightless_act.value_or(act_from_metadata(weights).value_or(ActType::kLeakyRelu));
    if (c.act_type == ActType::kPrelu) return corrupt("SRVGGNetCompact: PReLU slopes body.1.weight missing");
  }
  return c;
}

Result<std::shared_ptr<const SRVGGNetCompact>> SRVGGNetCompact::from_weights(
    const weights::WeightMap& weights, std::optional<ActType> weightless_act) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state, weightless_act));
  std::shared_ptr<SRVGGNetCompact> net(new SRVGGNetCompact(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const SRVGGNetCompact>(std::move(net));
}

Status SRVGGNetCompact::bind(const nn::StateDict& weights) {
  const Config& c = config_;
  const int num_convs = c.num_conv + 2;
  for (int i = 0; i < num_convs; ++i) {
    const int index = 2 * i;
    nn::Conv2dShape shape{.in_channels = i == 0 ? c.in_channels : c.num_feat, .out_channels = c.num_feat};
    if (i == num_convs - 1) shape.out_channels = c.out_channels * c.upscale * c.upscale;
    UPRES_ASSIGN_OR_RETURN(nn::Conv2d conv, nn::Conv2d::bind(weights, "body." + std::to_string(index), shape));
    convs_.push_back(std::move(conv));
    if (c.act_type == ActType::kPrelu && i < num_convs - 1) {
      UPRES_ASSIGN_OR_RETURN(engine::Tensor slope,
                             weights.tensor("body." + std::to_string(index + 1) + ".weight", {c.num_feat}));
      prelu_slopes_.push_back(std::move(slope));
    }
  }
  return Status::ok();
}

// The activation after conv `index` (body.<2*index+1>).
engine::Value SRVGGNetCompact::activation(engine::Graph& g, engine::Value x, size_t index) const {
  switch (config_.act_type) {
    case ActType::kPrelu: return g.prelu(x, prelu_slopes_[index]);
    case ActType::kRelu: return g.relu(x);
    case ActType::kLeakyRelu: return g.leaky_relu(x, kLeakySlope);
  }
  return x;
}

Result<engine::Graph> SRVGGNetCompact::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("SRVGGNetCompact: input " + std::to_string(height) + "x" + std::to_string(width));
  }
  const int s = config_.upscale;
  engine::Graph g;
  const engine::Value input = g.input("input", {1, 3, height, width});   // [1, 3, h, w]
  engine::Value x = input;
  for (size_t i = 0; i + 1 < convs_.size(); ++i) {
    x = activation(g, convs_[i](g, x), i);                                  // [1, nf, h, w]
  }
  x = g.pixel_shuffle(convs_.back()(g, x), s);                              // [1, 3, sh, sw]
  const engine::ResizeAttrs nearest{.mode = engine::ResizeMode::kNearest,
                                    .scale_h = static_cast<float>(s), .scale_w = static_cast<float>(s)};
  engine::Value out = g.add(x, g.resize(input, nearest));                   // [1, 3, sh, sw]
  g.mark_output(out);
  if (!g.status().is_ok()) return g.status().with_context("SRVGGNetCompact graph");
  return g;
}

// Peak of the fp32 values alive at once: three num_feat buffers at input resolution (a conv's
// input and output, and the one more the cpu backend was measured to hold), or at the end the
// last conv input plus three 3*s^2-channel values (conv output, shuffled, upsampled input), plus
// the graph input. Measured against arena_bytes() in tests/models/memory_estimate_test.cpp.
double SRVGGNetCompact::bytes_per_input_pixel() const {
  const double nf = static_cast<double>(config_.num_feat);
  const double s2 = static_cast<double>(config_.upscale * config_.upscale);
  const double body = 3 * nf;
  const double tail = nf + 3 * (3 * s2);
  return 4.0 * (3.0 + std::max(body, tail));
}

}  // namespace upres::models
