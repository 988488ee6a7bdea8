// RetinaFace bodies: facexlib's MobileNetV1 (width 0.25, LeakyReLU 0.1, stages 1-3) and
// torchvision's ResNet-50 (layer2-4 returned), plus the conv+BatchNorm unit both are made of.
// Originals: facexlib/detection/retinaface_net.py (MobileNetV1, conv_bn, conv_dw) and
// torchvision/models/resnet.py (Bottleneck, ResNet-50 [3, 4, 6, 3]).
#include <string>
#include <utility>

#include "models/retinaface.h"

namespace upres::models {
namespace {

constexpr float kMobileNetSlope = 0.1f;

struct DwSpec {  // one facexlib conv_dw(inp, oup, stride)
  int64_t in, out;
  int stride;
};

// body.stage1 starts with conv_bn(3, 8, 2) (index 0); every other entry is a conv_dw.
constexpr DwSpec kStage1[] = {{8, 16, 1}, {16, 32, 2}, {32, 32, 1}, {32, 64, 2}, {64, 64, 1}};
constexpr DwSpec kStage2[] = {{64, 128, 2},  {128, 128, 1}, {128, 128, 1},
                              {128, 128, 1}, {128, 128, 1}, {128, 128, 1}};
constexpr DwSpec kStage3[] = {{128, 256, 2}, {256, 256, 1}};

constexpr int kResNetBlocks[4] = {3, 4, 6, 3};
constexpr int64_t kResNetWidths[4] = {64, 128, 256, 512};
constexpr int64_t kExpansion = 4;

using ConvBn = RetinaFace::ConvBn;
using Act = ConvBn::Act;

Status bind_dw(const nn::StateDict& w, const std::string& key, const DwSpec& s,
               std::vector<ConvBn>& out) {
  UPRES_ASSIGN_OR_RETURN(ConvBn dw, ConvBn::bind(w, key + ".0", key + ".1", s.in, s.in, 3, s.stride,
                                                 static_cast<int>(s.in)));
  UPRES_ASSIGN_OR_RETURN(ConvBn pw, ConvBn::bind(w, key + ".3", key + ".4", s.in, s.out, 1));
  out.push_back(std::move(dw).with_act(Act::kLeaky, kMobileNetSlope));
  out.push_back(std::move(pw).with_act(Act::kLeaky, kMobileNetSlope));
  return Status::ok();
}

Result<RetinaFace::Bottleneck> bind_bottleneck(const nn::StateDict& w, const std::string& key,
                                               int64_t in, int64_t width, int stride) {
  RetinaFace::Bottleneck b;
  const int64_t out = width * kExpansion;
  UPRES_ASSIGN_OR_RETURN(b.conv1, ConvBn::bind(w, key + ".conv1", key + ".bn1", in, width, 1));
  UPRES_ASSIGN_OR_RETURN(b.conv2,
                         ConvBn::bind(w, key + ".conv2", key + ".bn2", width, width, 3, stride));
  UPRES_ASSIGN_OR_RETURN(b.conv3, ConvBn::bind(w, key + ".conv3", key + ".bn3", width, out, 1));
  b.conv1 = std::move(b.conv1).with_act(Act::kRelu);
  b.conv2 = std::move(b.conv2).with_act(Act::kRelu);
  b.has_downsample = stride != 1 || in != out;
  if (b.has_downsample) {
    UPRES_ASSIGN_OR_RETURN(b.downsample, ConvBn::bind(w, key + ".downsample.0",
                                                      key + ".downsample.1", in, out, 1, stride));
  }
  return b;
}

}  // namespace

Result<ConvBn> ConvBn::bind(const nn::StateDict& weights, const std::string& conv_key,
                            const std::string& bn_key, int64_t in, int64_t out, int kernel,
                            int stride, int groups) {
  ConvBn c;
  c.name = conv_key;
  c.attrs.stride = stride;
  c.attrs.padding = kernel / 2;
  c.attrs.groups = groups;
  UPRES_ASSIGN_OR_RETURN(c.weight,
                         weights.tensor(conv_key + ".weight", {out, in / groups, kernel, kernel}));
  UPRES_ASSIGN_OR_RETURN(c.gamma, weights.tensor(bn_key + ".weight", {out}));
  UPRES_ASSIGN_OR_RETURN(c.beta, weights.tensor(bn_key + ".bias", {out}));
  UPRES_ASSIGN_OR_RETURN(c.mean, weights.tensor(bn_key + ".running_mean", {out}));
  UPRES_ASSIGN_OR_RETURN(c.var, weights.tensor(bn_key + ".running_var", {out}));
  for (float v : c.var.to_f32()) {
    if (!(v >= 0.0f)) return corrupt(bn_key + ".running_var: negative or NaN variance");
  }
  return c;
}

ConvBn ConvBn::with_act(Act a, float negative_slope) && {
  act = a;
  slope = negative_slope;
  return std::move(*this);
}

engine::Value ConvBn::operator()(engine::Graph& g, engine::Value x) const {
  engine::Value y = g.named(g.conv2d(x, weight, {}, attrs), name);
  y = g.batch_norm(y, gamma, beta, mean, var);
  switch (act) {
    case Act::kNone:
      return y;
    case Act::kRelu:
      return g.relu(y);
    case Act::kLeaky:
      return slope == 0.0f ? g.relu(y) : g.leaky_relu(y, slope);
  }
  return y;
}

// x: [n, in, h, w] -> [n, 4 * width, h / stride, w / stride]
engine::Value RetinaFace::Bottleneck::forward(engine::Graph& g, engine::Value x) const {
  engine::Value y = conv3(g, conv2(g, conv1(g, x)));
  engine::Value identity = has_downsample ? downsample(g, x) : x;
  return g.relu(g.add(y, identity));
}

Status RetinaFace::bind_mobilenet(const nn::StateDict& w) {
  stages_.assign(3, {});
  UPRES_ASSIGN_OR_RETURN(ConvBn first,
                         ConvBn::bind(w, "body.stage1.0.0", "body.stage1.0.1", 3, 8, 3, 2));
  stages_[0].push_back(std::move(first).with_act(Act::kLeaky, kMobileNetSlope));
  for (size_t i = 0; i < std::size(kStage1); ++i) {
    UPRES_RETURN_IF_ERROR(
        bind_dw(w, "body.stage1." + std::to_string(i + 1), kStage1[i], stages_[0]));
  }
  for (size_t i = 0; i < std::size(kStage2); ++i) {
    UPRES_RETURN_IF_ERROR(bind_dw(w, "body.stage2." + std::to_string(i), kStage2[i], stages_[1]));
  }
  for (size_t i = 0; i < std::size(kStage3); ++i) {
    UPRES_RETURN_IF_ERROR(bind_dw(w, "body.stage3." + std::to_string(i), kStage3[i], stages_[2]));
  }
  return Status::ok();
}

Status RetinaFace::bind_resnet50(const nn::StateDict& w) {
  UPRES_ASSIGN_OR_RETURN(stem_, ConvBn::bind(w, "body.conv1", "body.bn1", 3, 64, 7, 2));
  stem_ = std::move(stem_).with_act(Act::kRelu);
  int64_t in = 64;
  layers_.assign(4, {});
  for (int l = 0; l < 4; ++l) {
    for (int b = 0; b < kResNetBlocks[l]; ++b) {
      const std::string key = "body.layer" + std::to_string(l + 1) + "." + std::to_string(b);
      const int stride = (l > 0 && b == 0) ? 2 : 1;
      UPRES_ASSIGN_OR_RETURN(Bottleneck block,
                             bind_bottleneck(w, key, in, kResNetWidths[l], stride));
      layers_[l].push_back(std::move(block));
      in = kResNetWidths[l] * kExpansion;
    }
  }
  return Status::ok();
}

// x: [1, 3, H, W] -> {[1, 2c, H/8, W/8], [1, 4c, H/16, W/16], [1, 8c, H/32, W/32]} (ceil),
// c = config_.in_channel (32 for MobileNet, 256 for ResNet-50)
std::vector<engine::Value> RetinaFace::backbone_forward(engine::Graph& g, engine::Value x) const {
  std::vector<engine::Value> features;
  if (config_.backbone == Backbone::kMobileNet025) {
    for (const std::vector<ConvBn>& stage : stages_) {
      for (const ConvBn& unit : stage) x = unit(g, x);
      features.push_back(x);
    }
    return features;
  }
  x = stem_(g, x);                                                // [1, 64, H/2, W/2]
  x = g.max_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1});  // [1, 64, H/4, W/4]
  for (size_t l = 0; l < layers_.size(); ++l) {
    for (const Bottleneck& block : layers_[l]) x = block.forward(g, x);
    if (l >= 1) features.push_back(x);  // layer2, layer3, layer4
  }
  return features;
}

}  // namespace upres::models
