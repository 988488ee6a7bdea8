// ParseNet: configuration from keys, binding of the ConvLayer / ResidualBlock tree, the forward
// graph and the host-side argmax over the mask classes.
// Original: https://github.com/xinntao/facexlib/blob/master/facexlib/parsing/parsenet.py
#include "models/parsenet.h"

#include <utility>

#include "engine/backend_registry.h"
#include "weights/weight_file.h"

namespace upres::models {
namespace {

using ConvLayer = ParseNet::ConvLayer;
using Scale = ConvLayer::Scale;
using Act = ConvLayer::Act;

constexpr int64_t kMaxChannels = 4096;
constexpr int kMaxSteps = 8;
constexpr int kMaxBlocks = 256;
constexpr int64_t kMaxClasses = 256;  // labels are uint8
constexpr int kMaxSidePx = 8192;

struct LayerSpec {
  int64_t in = 0;
  int64_t out = 0;
  Scale scale = Scale::kNone;
  bool norm = false;
  Act act = Act::kNone;
};

// Binds "<name>.conv2d.weight" [out, in, 3, 3], then either "<name>.norm.norm.*" [out] or
// "<name>.conv2d.bias" [out], and "<name>.relu.func.weight" [out] for PReLU.
Result<ConvLayer> bind_layer(const nn::StateDict& w, const std::string& name,
                             const LayerSpec& spec) {
  ConvLayer layer;
  layer.name = name;
  layer.scale = spec.scale;
  layer.has_norm = spec.norm;
  layer.act = spec.act;
  const engine::Shape vec{spec.out};
  UPRES_ASSIGN_OR_RETURN(layer.weight,
                         w.tensor(name + ".conv2d.weight", {spec.out, spec.in, 3, 3}));
  if (spec.norm) {
    const std::string bn = name + ".norm.norm.";
    UPRES_ASSIGN_OR_RETURN(layer.gamma, w.tensor(bn + "weight", vec));
    UPRES_ASSIGN_OR_RETURN(layer.beta, w.tensor(bn + "bias", vec));
    UPRES_ASSIGN_OR_RETURN(layer.mean, w.tensor(bn + "running_mean", vec));
    UPRES_ASSIGN_OR_RETURN(layer.var, w.tensor(bn + "running_var", vec));
  } else {
    UPRES_ASSIGN_OR_RETURN(layer.bias, w.tensor(name + ".conv2d.bias", vec));
  }
  if (spec.act == Act::kPrelu) {
    UPRES_ASSIGN_OR_RETURN(layer.prelu_slope, w.tensor(name + ".relu.func.weight", vec));
  }
  return layer;
}

// A ResidualBlock at `prefix` reading `in` channels; its width comes from conv1's weight.
Result<ParseNet::ResidualBlock> bind_block(const nn::StateDict& w, const std::string& prefix,
                                           int64_t in, Scale scale,
                                           const ParseNet::Config& config) {
  UPRES_ASSIGN_OR_RETURN(const int64_t out, w.dim(prefix + ".conv1.conv2d.weight", 0));
  if (out <= 0 || out > kMaxChannels) {
    return corrupt("ParseNet: " + prefix + ".conv1.conv2d.weight has " + std::to_string(out) +
                   " output channels");
  }
  const Act act = config.prelu ? Act::kPrelu : Act::kLeaky;
  const Scale first = scale == Scale::kUp ? Scale::kUp : Scale::kNone;
  const Scale second = scale == Scale::kDown ? Scale::kDown : Scale::kNone;
  ParseNet::ResidualBlock block;
  UPRES_ASSIGN_OR_RETURN(
      block.conv1, bind_layer(w, prefix + ".conv1", {in, out, first, config.batch_norm, act}));
  UPRES_ASSIGN_OR_RETURN(
      block.conv2,
      bind_layer(w, prefix + ".conv2", {out, out, second, config.batch_norm, Act::kNone}));
  block.has_shortcut = scale != Scale::kNone || in != out;
  if (block.has_shortcut) {
    UPRES_ASSIGN_OR_RETURN(block.shortcut,
                           bind_layer(w, prefix + ".shortcut_func", {in, out, scale}));
  }
  return block;
}

// The key prefix of the first residual block, or "" when there is none.
std::string first_block(const ParseNet::Config& c) {
  if (c.down_steps > 0) return "encoder.1";
  if (c.res_depth > 0) return "body.0";
  if (c.up_steps > 0) return "decoder.0";
  return "";
}

}  // namespace

engine::Value ParseNet::ConvLayer::operator()(engine::Graph& g, engine::Value x) const {
  if (scale == Scale::kUp) {
    x = g.resize(x, {.mode = engine::ResizeMode::kNearest, .scale_h = 2.0f, .scale_w = 2.0f});
  }
  x = g.pad(x, {.left = 1, .right = 1, .top = 1, .bottom = 1, .mode = engine::PadMode::kReflect});
  x = g.named(g.conv2d(x, weight, bias, {.stride = scale == Scale::kDown ? 2 : 1}), name);
  if (has_norm) x = g.batch_norm(x, gamma, beta, mean, var);
  if (act == Act::kLeaky) x = g.leaky_relu(x, kLeakySlope);
  if (act == Act::kPrelu) x = g.prelu(x, prelu_slope);
  return x;
}

engine::Value ParseNet::ResidualBlock::forward(engine::Graph& g, engine::Value x) const {
  const engine::Value identity = has_shortcut ? shortcut(g, x) : x;
  return g.add(identity, conv2(g, conv1(g, x)));
}

Result<ParseNet::Config> ParseNet::Config::from_weights(const nn::StateDict& w) {
  if (!w.has("encoder.0.conv2d.weight") || !w.has("out_mask_conv.conv2d.weight")) {
    return unsupported(
        "not a ParseNet (no encoder.0.conv2d.weight / out_mask_conv.conv2d.weight): keys " +
        w.key_sample(6));
  }
  Config c;
  c.down_steps = w.seq_len("encoder") - 1;
  c.res_depth = w.seq_len("body");
  c.up_steps = w.seq_len("decoder");
  if (c.down_steps > kMaxSteps || c.up_steps > kMaxSteps || c.res_depth > kMaxBlocks) {
    return unsupported("ParseNet with " + std::to_string(c.down_steps) + " down, " +
                       std::to_string(c.res_depth) + " body and " + std::to_string(c.up_steps) +
                       " up blocks");
  }
  if (c.up_steps != c.down_steps) {
    return unsupported("ParseNet with out_size != in_size (" + std::to_string(c.down_steps) +
                       " down and " + std::to_string(c.up_steps) + " up blocks)");
  }
  UPRES_ASSIGN_OR_RETURN(c.base_ch, w.dim("encoder.0.conv2d.weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.parsing_ch, w.dim("out_mask_conv.conv2d.weight", 0));
  if (c.base_ch <= 0 || c.base_ch > kMaxChannels || c.parsing_ch <= 0 ||
      c.parsing_ch > kMaxClasses) {
    return corrupt("ParseNet: " + std::to_string(c.base_ch) + " base channels and " +
                   std::to_string(c.parsing_ch) + " classes (expected at most " +
                   std::to_string(kMaxChannels) + " and " + std::to_string(kMaxClasses) + ")");
  }
  const std::string block = first_block(c);
  if (!block.empty()) {
    const std::string norm = block + ".conv1.norm.norm.";
    c.batch_norm = w.has(norm + "running_mean");
    if (!c.batch_norm && w.has(norm + "weight")) {
      return unsupported("ParseNet: " + norm +
                         "weight without running statistics (only norm_type 'bn' or "
                         "'none' is supported)");
    }
    c.prelu = w.has(block + ".conv1.relu.func.weight");
  }
  return c;
}

Status ParseNet::bind(const nn::StateDict& w) {
  UPRES_ASSIGN_OR_RETURN(encoder_first_, bind_layer(w, "encoder.0", {3, config_.base_ch}));
  int64_t ch = config_.base_ch;
  auto add_blocks = [&](const std::string& stem, int count, Scale scale,
                        std::vector<ResidualBlock>& blocks, int first_index) -> Status {
    for (int i = 0; i < count; ++i) {
      const std::string prefix = stem + "." + std::to_string(first_index + i);
      UPRES_ASSIGN_OR_RETURN(ResidualBlock block, bind_block(w, prefix, ch, scale, config_));
      ch = block.conv2.weight.dim(0);
      blocks.push_back(std::move(block));
    }
    return Status::ok();
  };
  UPRES_RETURN_IF_ERROR(add_blocks("encoder", config_.down_steps, Scale::kDown, encoder_, 1));
  const int64_t feat_ch = ch;
  UPRES_RETURN_IF_ERROR(add_blocks("body", config_.res_depth, Scale::kNone, body_, 0));
  if (ch != feat_ch) {
    return corrupt("ParseNet: body blocks map " + std::to_string(feat_ch) + " to " +
                   std::to_string(ch) + " channels; the body's residual needs equal widths");
  }
  UPRES_RETURN_IF_ERROR(add_blocks("decoder", config_.up_steps, Scale::kUp, decoder_, 0));
  UPRES_ASSIGN_OR_RETURN(out_mask_conv_, bind_layer(w, "out_mask_conv", {ch, config_.parsing_ch}));
  return Status::ok();
}

Result<std::unique_ptr<ParseNet>> ParseNet::from_weights(const nn::StateDict& weights) {
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(weights));
  std::unique_ptr<ParseNet> net(new ParseNet(config));
  UPRES_RETURN_IF_ERROR(net->bind(weights));
  return net;
}

Result<std::unique_ptr<ParseNet>> ParseNet::load(const std::filesystem::path& path) {
  auto file = weights::read_weight_file(path);
  if (!file.is_ok()) {
    const Status& status = file.status();
    return status.message().find(path.filename().string()) != std::string::npos
               ? status
               : status.with_context(path.string());
  }
  const nn::StateDict state(file->weights);
  auto net = from_weights(state);
  if (!net.is_ok()) return net.status().with_context(path.string());
  return net;
}

Result<engine::Graph> ParseNet::build_graph(int height, int width) const {
  engine::Graph g;
  engine::Value x = g.input("face", {1, 3, height, width});
  x = g.scale(x, 2.0f, -1.0f);                // (x - 0.5) / 0.5
  engine::Value feat = encoder_first_(g, x);  // [1, base_ch, h, w]
  for (const ResidualBlock& block : encoder_) feat = block.forward(g, feat);
  engine::Value y = feat;  // [1, C, h / 2^down, w / 2^down]
  for (const ResidualBlock& block : body_) y = block.forward(g, y);
  y = g.add(feat, y);
  for (const ResidualBlock& block : decoder_) y = block.forward(g, y);
  g.mark_output(out_mask_conv_(g, y));  // [1, parsing_ch, h, w]
  if (!g.status().is_ok()) return g.status().with_context("ParseNet graph");
  return g;
}

Status ParseNet::prepare(const std::string& backend, int height, int width) {
  if (executable_ && prepared_backend_ == backend && prepared_height_ == height &&
      prepared_width_ == width) {
    return Status::ok();
  }
  executable_.reset();
  if (!backend_ || backend_->name() != backend) {
    backend_.reset();
    UPRES_ASSIGN_OR_RETURN(backend_, engine::create_backend(backend));
  }
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, build_graph(height, width));
  UPRES_ASSIGN_OR_RETURN(executable_, backend_->prepare(graph, engine::PrepareOptions{}));
  prepared_backend_ = backend;
  prepared_height_ = height;
  prepared_width_ = width;
  return Status::ok();
}

Result<engine::Tensor> ParseNet::logits(const engine::Tensor& face, const std::string& backend) {
  const engine::Shape& s = face.shape();
  const int64_t multiple = int64_t{1} << config_.down_steps;
  const bool sized = s.size() == 4 && s[0] == 1 && s[1] == 3 && s[2] > 0 && s[3] > 0 &&
                     s[2] <= kMaxSidePx && s[3] <= kMaxSidePx && s[2] % multiple == 0 &&
                     s[3] % multiple == 0 && s[2] / multiple >= 2 && s[3] / multiple >= 2;
  if (!sized || face.layout() != engine::Layout::kNchw) {
    return invalid_argument("ParseNet: face is " + engine::shape_to_string(s) +
                            ", expected NCHW [1, 3, H, W] " + "with H and W multiples of " +
                            std::to_string(multiple) + " from " + std::to_string(2 * multiple) +
                            " to " + std::to_string(kMaxSidePx));
  }
  UPRES_RETURN_IF_ERROR(prepare(backend, static_cast<int>(s[2]), static_cast<int>(s[3])));
  std::vector<engine::Tensor> out(1);
  UPRES_RETURN_IF_ERROR(executable_->run({&face, 1}, out));
  return out[0];
}

Result<std::vector<uint8_t>> ParseNet::parse(const engine::Tensor& face,
                                             const std::string& backend) {
  UPRES_ASSIGN_OR_RETURN(engine::Tensor mask, logits(face, backend));
  const int64_t classes = mask.dim(1);
  const int64_t pixels = mask.dim(2) * mask.dim(3);
  const std::vector<float> values = mask.to_f32();
  std::vector<uint8_t> labels(static_cast<size_t>(pixels), 0);
  for (int64_t p = 0; p < pixels; ++p) {
    float best = values[static_cast<size_t>(p)];
    for (int64_t k = 1; k < classes; ++k) {
      const float v = values[static_cast<size_t>(k * pixels + p)];
      if (v > best) {
        best = v;
        labels[static_cast<size_t>(p)] = static_cast<uint8_t>(k);
      }
    }
  }
  return labels;
}

}  // namespace upres::models
