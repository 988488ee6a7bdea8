// RetinaFace: backbone detection from the keys, FPN / SSH / head binding, and the forward graph.
// Original: https://github.com/xinntao/facexlib/blob/master/facexlib/detection/retinaface.py
// (FPN, SSH and heads: facexlib/detection/retinaface_net.py)
#include "models/retinaface.h"

#include <utility>

#include "weights/weight_file.h"

namespace upres::models {
namespace {

using ConvBn = RetinaFace::ConvBn;
using Act = ConvBn::Act;

constexpr int64_t kMaxChannels = 4096;

Result<RetinaFace::Head> bind_head(const nn::StateDict& w, const std::string& stem, int level,
                                   int64_t in, int64_t values_per_anchor) {
  RetinaFace::Head head;
  head.name = stem + "." + std::to_string(level) + ".conv1x1";
  head.values_per_anchor = values_per_anchor;
  const int64_t out = values_per_anchor * RetinaFace::kAnchorsPerCell;
  UPRES_ASSIGN_OR_RETURN(head.weight, w.tensor(head.name + ".weight", {out, in, 1, 1}));
  UPRES_ASSIGN_OR_RETURN(head.bias, w.tensor(head.name + ".bias", {out}));
  return head;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Result<RetinaFace::Config> RetinaFace::Config::from_weights(const nn::StateDict& weights) {
  Config c;
  if (weights.has("body.stage1.0.0.weight")) {
    c.backbone = Backbone::kMobileNet025;
    c.in_channel = 32;
  } else if (weights.has("body.layer1.0.conv1.weight")) {
    c.backbone = Backbone::kResNet50;
    c.in_channel = 256;
  } else {
    return unsupported("not a RetinaFace (no body.stage1.* or body.layer1.* keys): keys " +
                       weights.key_sample(6));
  }
  UPRES_ASSIGN_OR_RETURN(c.out_channel, weights.dim("fpn.output1.0.weight", 0));
  if (c.out_channel <= 0 || c.out_channel % 4 != 0 || c.out_channel > kMaxChannels) {
    return corrupt("RetinaFace: fpn.output1.0.weight has " + std::to_string(c.out_channel) +
                   " output channels, expected a positive multiple of 4");
  }
  return c;
}

Result<std::shared_ptr<const RetinaFace>> RetinaFace::from_weights(
    const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<RetinaFace> net(new RetinaFace(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const RetinaFace>(std::move(net));
}

Result<std::shared_ptr<const RetinaFace>> RetinaFace::load(const std::filesystem::path& path) {
  auto file = weights::read_weight_file(path);
  if (!file.is_ok()) {
    const Status& status = file.status();
    return status.message().find(path.filename().string()) != std::string::npos
               ? status
               : status.with_context(path.string());
  }
  auto net = from_weights(file->weights);
  if (!net.is_ok()) return net.status().with_context(path.string());
  return net;
}

std::string RetinaFace::name() const {
  return config_.backbone == Backbone::kMobileNet025 ? "RetinaFace MobileNet0.25"
                                                     : "RetinaFace ResNet50";
}

int64_t RetinaFace::anchor_count(int height, int width) {
  int64_t total = 0;
  for (int s : kStrides) total += ceil_div(height, s) * ceil_div(width, s) * kAnchorsPerCell;
  return total;
}

Status RetinaFace::bind(const nn::StateDict& weights) {
  if (config_.backbone == Backbone::kMobileNet025) {
    UPRES_RETURN_IF_ERROR(bind_mobilenet(weights));
  } else {
    UPRES_RETURN_IF_ERROR(bind_resnet50(weights));
  }
  return bind_necks(weights);
}

Status RetinaFace::bind_necks(const nn::StateDict& w) {
  const int64_t c = config_.out_channel;
  const float slope = config_.fpn_slope();
  for (int i = 0; i < 3; ++i) {
    const std::string key = "fpn.output" + std::to_string(i + 1);
    const int64_t in = config_.in_channel << (i + 1);
    UPRES_ASSIGN_OR_RETURN(ConvBn conv, ConvBn::bind(w, key + ".0", key + ".1", in, c, 1));
    fpn_output_[i] = std::move(conv).with_act(Act::kLeaky, slope);
  }
  for (int i = 0; i < 2; ++i) {
    const std::string key = "fpn.merge" + std::to_string(i + 1);
    UPRES_ASSIGN_OR_RETURN(ConvBn conv, ConvBn::bind(w, key + ".0", key + ".1", c, c, 3));
    fpn_merge_[i] = std::move(conv).with_act(Act::kLeaky, slope);
  }
  for (int i = 0; i < 3; ++i) {
    const std::string key = "ssh" + std::to_string(i + 1) + ".";
    Ssh& s = ssh_[i];
    auto bind = [&](const std::string& name, int64_t in, int64_t out) {
      return ConvBn::bind(w, key + name + ".0", key + name + ".1", in, out, 3);
    };
    UPRES_ASSIGN_OR_RETURN(s.conv3x3, bind("conv3X3", c, c / 2));
    UPRES_ASSIGN_OR_RETURN(s.conv5x5_1, bind("conv5X5_1", c, c / 4));
    UPRES_ASSIGN_OR_RETURN(s.conv5x5_2, bind("conv5X5_2", c / 4, c / 4));
    UPRES_ASSIGN_OR_RETURN(s.conv7x7_2, bind("conv7X7_2", c / 4, c / 4));
    UPRES_ASSIGN_OR_RETURN(s.conv7x7_3, bind("conv7x7_3", c / 4, c / 4));  // lower-case x upstream
    s.conv5x5_1 = std::move(s.conv5x5_1).with_act(Act::kLeaky, slope);
    s.conv7x7_2 = std::move(s.conv7x7_2).with_act(Act::kLeaky, slope);
    UPRES_ASSIGN_OR_RETURN(class_head_[i], bind_head(w, "ClassHead", i, c, 2));
    UPRES_ASSIGN_OR_RETURN(bbox_head_[i], bind_head(w, "BboxHead", i, c, 4));
    UPRES_ASSIGN_OR_RETURN(landmark_head_[i], bind_head(w, "LandmarkHead", i, c, 10));
  }
  return Status::ok();
}

// x: [1, c, h, w] -> [1, c, h, w]: relu(cat(3x3 branch c/2, 5x5 branch c/4, 7x7 branch c/4))
engine::Value RetinaFace::Ssh::forward(engine::Graph& g, engine::Value x) const {
  engine::Value a = conv3x3(g, x);
  engine::Value b1 = conv5x5_1(g, x);
  engine::Value b = conv5x5_2(g, b1);
  engine::Value c = conv7x7_3(g, conv7x7_2(g, b1));
  return g.relu(g.concat({a, b, c}, 1));
}

engine::Value RetinaFace::Head::forward(engine::Graph& g, engine::Value x) const {
  engine::Value y = g.named(g.conv2d(x, weight, bias), name);  // [1, 2v, h, w]
  y = g.permute(y, {0, 2, 3, 1});                              // [1, h, w, 2v]
  return g.reshape(y, {1, -1, values_per_anchor});             // [1, 2hw, v]
}

Result<engine::Graph> RetinaFace::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument("RetinaFace: input " + std::to_string(height) + "x" +
                            std::to_string(width) + " is empty");
  }
  engine::Graph g;
  engine::Value x = g.input("input", {1, 3, height, width});
  std::vector<engine::Value> body = backbone_forward(g, x);
  if (!g.status().is_ok()) return g.status().with_context("RetinaFace body graph");
  // FPN: lateral 1x1 convs, top-down nearest upsampling to the lateral's size, 3x3 merges.
  engine::Value out[3];
  for (int i = 0; i < 3; ++i) out[i] = fpn_output_[i](g, body[static_cast<size_t>(i)]);
  for (int i = 1; i >= 0; --i) {
    if (!g.status().is_ok()) break;
    const engine::Shape lateral = g.shape(out[i]);
    engine::Value up =
        g.resize(out[i + 1],
                 {.mode = engine::ResizeMode::kNearest, .out_h = lateral[2], .out_w = lateral[3]});
    out[i] = fpn_merge_[i](g, g.add(out[i], up));
  }
  std::vector<engine::Value> loc, conf, landmarks;
  for (int i = 0; i < 3; ++i) {
    engine::Value feature = ssh_[i].forward(g, out[i]);
    loc.push_back(bbox_head_[i].forward(g, feature));
    conf.push_back(class_head_[i].forward(g, feature));
    landmarks.push_back(landmark_head_[i].forward(g, feature));
  }
  g.mark_output(g.concat(loc, 1));                  // [1, N, 4]
  g.mark_output(g.softmax(g.concat(conf, 1), -1));  // [1, N, 2]
  g.mark_output(g.concat(landmarks, 1));            // [1, N, 10]
  if (!g.status().is_ok()) return g.status().with_context("RetinaFace graph");
  return g;
}

}  // namespace upres::models
