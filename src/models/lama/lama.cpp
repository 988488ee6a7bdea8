// LamaGenerator: configuration from the state-dict keys, binding, and the forward graph.
// Original: https://github.com/advimman/lama (saicinpainting/training/modules/ffc.py,
// FFCResNetGenerator with big-lama's init/downsample/resnet conv kwargs), as spandrel ships it.
#include "models/lama/lama.h"

#include <utility>

#include "weights/weight_file.h"

namespace upres::models::lama {
namespace {

// spandrel's wrapper, the training checkpoint, and the generator's own state dict (safetensors repacks).
constexpr const char* kPrefixes[] = {"model.model.", "generator.model.", "model."};
constexpr int kMaxDownsampling = 6;
constexpr int kMaxBlocks = 64;

std::string layer(const std::string& prefix, int index) { return prefix + std::to_string(index); }

engine::Value reflect_pad3(engine::Graph& graph, engine::Value x) {
  return graph.pad(x, {.left = 3, .right = 3, .top = 3, .bottom = 3, .mode = engine::PadMode::kReflect});
}

// The first prefix whose stem BatchNorm is present; empty when none is.
std::string lama_prefix(const nn::StateDict& weights) {
  for (const char* prefix : kPrefixes) {
    if (weights.has(std::string(prefix) + "1.bn_l.running_mean")) return prefix;
  }
  return {};
}

}  // namespace

bool LamaGenerator::matches(const nn::StateDict& weights) { return !lama_prefix(weights).empty(); }

Result<std::shared_ptr<const LamaGenerator>> LamaGenerator::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  if (!matches(state)) {
    return unsupported("not a LaMa generator (no model.model.1.bn_l, generator.model.1.bn_l or model.1.bn_l; keys " +
                       state.key_sample(6) + ")");
  }
  Config c;
  c.prefix = lama_prefix(state);
  const std::string& p = c.prefix;
  UPRES_ASSIGN_OR_RETURN(c.ngf, state.dim(p + "1.ffc.convl2l.weight", 0));
  UPRES_ASSIGN_OR_RETURN(c.in_channels, state.dim(p + "1.ffc.convl2l.weight", 1));
  if (c.in_channels != 4) {
    return unsupported("LaMa with " + std::to_string(c.in_channels) + " input channels (upres feeds RGB + mask)");
  }
  c.downsampling = 0;
  while (c.downsampling <= kMaxDownsampling && state.has(layer(p, 2 + c.downsampling) + ".ffc.convl2l.weight")) ++c.downsampling;
  c.blocks = 0;
  while (c.blocks <= kMaxBlocks && state.has(layer(p, 2 + c.downsampling + c.blocks) + ".conv1.bn_l.weight")) ++c.blocks;
  if (c.downsampling < 1 || c.downsampling > kMaxDownsampling || c.blocks > kMaxBlocks) {
    return corrupt("LaMa: " + std::to_string(c.downsampling) + " downsampling layers and " + std::to_string(c.blocks) +
                   " residual blocks is not a generator layout");
  }
  const int output_index = 2 + c.downsampling + c.blocks + 1 + 3 * c.downsampling + 1;
  if (state.seq_len(p.substr(0, p.size() - 1)) != output_index + 1) {
    return unsupported("LaMa: layers past " + layer(p, output_index) + " (an out_ffc block?) are not supported");
  }
  UPRES_ASSIGN_OR_RETURN(c.out_channels, state.dim(layer(p, output_index) + ".weight", 0));
  if (c.out_channels != 3) return unsupported("LaMa with " + std::to_string(c.out_channels) + " output channels");
  std::shared_ptr<LamaGenerator> net(new LamaGenerator(std::move(c)));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const LamaGenerator>(std::move(net));
}

Result<std::shared_ptr<const LamaGenerator>> LamaGenerator::load(const std::filesystem::path& path) {
  auto file = weights::read_weight_file(path);
  if (!file.is_ok()) return file.status().with_context(path.string());
  auto net = from_weights(file->weights);
  if (!net.is_ok()) return net.status().with_context(path.string());
  return net;
}

Status LamaGenerator::bind(const nn::StateDict& weights) {
  const std::string& p = config_.prefix;
  UPRES_ASSIGN_OR_RETURN(stem_, FfcLayer::bind(weights, layer(p, 1), {.in_local = config_.in_channels, .kernel = 7,
                                                                      .stride = 1, .padding = 0}));
  int64_t local = stem_.out_local(), global = stem_.out_global();
  int index = 2;
  for (int i = 0; i < config_.downsampling; ++i, ++index) {
    UPRES_ASSIGN_OR_RETURN(FfcLayer down, FfcLayer::bind(weights, layer(p, index), {.in_local = local, .in_global = global,
                                                                                   .kernel = 3, .stride = 2, .padding = 1}));
    local = down.out_local();
    global = down.out_global();
    downsampling_.push_back(std::move(down));
  }
  for (int i = 0; i < config_.blocks; ++i, ++index) {
    ResidualBlock block;
    const FfcShape same{.in_local = local, .in_global = global, .kernel = 3, .stride = 1, .padding = 1};
    UPRES_ASSIGN_OR_RETURN(block.conv1, FfcLayer::bind(weights, layer(p, index) + ".conv1", same));
    if (block.conv1.out_local() != local || block.conv1.out_global() != global) {
      return corrupt(layer(p, index) + ".conv1 changes the channel split of a residual block");
    }
    UPRES_ASSIGN_OR_RETURN(block.conv2, FfcLayer::bind(weights, layer(p, index) + ".conv2", same));
    if (block.conv2.out_local() != local || block.conv2.out_global() != global) {
      return corrupt(layer(p, index) + ".conv2 changes the channel split of a residual block");
    }
    blocks_.push_back(std::move(block));
  }
  int64_t channels = local + global;
  ++index;  // ConcatTupleLayer
  for (int i = 0; i < config_.downsampling; ++i, index += 3) {
    const std::string key = layer(p, index);
    UPRES_ASSIGN_OR_RETURN(const int64_t out, weights.dim(key + ".weight", 1));
    if (out <= 0 || out > 65536) return corrupt(key + ".weight: output channels out of range");
    Upsampler up;
    up.conv.name = key;
    UPRES_ASSIGN_OR_RETURN(const engine::Tensor stored, weights.tensor(key + ".weight", {channels, out, 3, 3}));
    up.conv.weight = stored.clone();
    UPRES_ASSIGN_OR_RETURN(up.conv.bias, weights.tensor(key + ".bias", {out}));
    UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, layer(p, index + 1), 1, true, up.conv));
    upsamplers_.push_back(std::move(up));
    channels = out;
  }
  const std::string out_key = layer(p, index + 1);  // after the reflection pad
  output_conv_.name = out_key;
  UPRES_ASSIGN_OR_RETURN(output_conv_.weight, weights.tensor(out_key + ".weight", {config_.out_channels, channels, 7, 7}));
  UPRES_ASSIGN_OR_RETURN(output_conv_.bias, weights.tensor(out_key + ".bias", {config_.out_channels}));
  return Status::ok();
}

double LamaGenerator::bytes_per_input_pixel() const {
  // The full-resolution end dominates: the stem's and last upsampler's ngf channels, their reflect
  // padded copies, and the 4-channel input, in fp32.
  return 4.0 * (3.0 * static_cast<double>(config_.ngf) + 8.0);
}

Result<engine::Graph> LamaGenerator::build_graph(int height, int width) const {
  const int multiple = size_multiple();
  if (height < 2 * multiple || width < 2 * multiple || height % multiple != 0 || width % multiple != 0) {
    return invalid_argument("LaMa input " + std::to_string(width) + "x" + std::to_string(height) +
                            ": sides must be multiples of " + std::to_string(multiple) + " and at least " +
                            std::to_string(2 * multiple));
  }
  engine::Graph g;
  engine::Value x = g.input("x", {1, config_.in_channels, height, width});
  auto [local, global] = stem_(g, reflect_pad3(g, x), engine::Value{});
  for (const FfcLayer& down : downsampling_) std::tie(local, global) = down(g, local, global);
  for (const ResidualBlock& block : blocks_) {
    auto [l1, g1] = block.conv1(g, local, global);
    auto [l2, g2] = block.conv2(g, l1, g1);
    local = g.add(local, l2);
    if (global.is_valid()) global = g.add(global, g2);
  }
  x = global.is_valid() ? g.concat({local, global}, 1) : local;
  for (const Upsampler& up : upsamplers_) {
    x = g.relu(g.named(g.conv_transpose2d(x, up.conv.weight, up.conv.bias, {.stride = 2, .padding = 1, .output_padding = 1}),
                       up.conv.name));
  }
  x = g.sigmoid(g.named(g.conv2d(reflect_pad3(g, x), output_conv_.weight, output_conv_.bias), output_conv_.name));
  g.mark_output(x);
  UPRES_RETURN_IF_ERROR(g.status());
  return g;
}

}  // namespace upres::models::lama
