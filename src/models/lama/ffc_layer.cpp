// FfcLayer: binding with BatchNorm folding, and the graph of one FFC_BN_ACT.
// Original: https://github.com/advimman/lama (saicinpainting/training/modules/ffc.py).
#include "models/lama/ffc_layer.h"

#include <cmath>
#include <utility>
#include <vector>

namespace upres::models::lama {
namespace {

constexpr double kBatchNormEps = 1e-5;  // nn.BatchNorm2d's default; not stored in the weights

Result<FoldedConv> bind_conv(const nn::StateDict& weights, const std::string& key, const engine::Shape& shape) {
  FoldedConv conv;
  conv.name = key;
  UPRES_ASSIGN_OR_RETURN(const engine::Tensor stored, weights.tensor(key + ".weight", shape));
  conv.weight = stored.clone();  // folding writes into it
  return conv;
}

// A path must exist exactly when both of its channel counts are non-zero (nn.Identity otherwise).
Status check_path(const nn::StateDict& weights, const std::string& key, bool needed) {
  if (weights.has(key) == needed) return Status::ok();
  return corrupt(needed ? key + " is missing" : key + " is present where the channel split has no such path");
}

engine::Value reflect_pad(engine::Graph& graph, engine::Value x, int padding) {
  if (padding == 0) return x;
  return graph.pad(x, {.left = padding, .right = padding, .top = padding, .bottom = padding,
                       .mode = engine::PadMode::kReflect});
}

engine::Value conv(engine::Graph& graph, engine::Value x, const FoldedConv& c, int stride = 1) {
  return graph.named(graph.conv2d(x, c.weight, c.bias, {.stride = stride}), c.name);
}

}  // namespace

Status fold_batch_norm(const nn::StateDict& weights, const std::string& key, int output_axis, bool add_shift,
                       FoldedConv& conv) {
  const engine::Shape& shape = conv.weight.shape();
  const int64_t channels = shape[static_cast<size_t>(output_axis)];
  std::vector<std::vector<float>> stats;
  for (const char* field : {".weight", ".bias", ".running_mean", ".running_var"}) {
    UPRES_ASSIGN_OR_RETURN(const engine::Tensor t, weights.tensor(key + field, {channels}));
    stats.push_back(t.to_f32());
  }
  std::vector<double> scale(static_cast<size_t>(channels)), shift(scale.size());
  for (size_t c = 0; c < scale.size(); ++c) {
    if (!(stats[3][c] >= 0.0f) || !std::isfinite(stats[3][c])) {
      return corrupt(key + ".running_var holds a negative or non-finite variance");
    }
    scale[c] = stats[0][c] / std::sqrt(static_cast<double>(stats[3][c]) + kBatchNormEps);
    shift[c] = stats[1][c] - stats[2][c] * scale[c];
  }
  // Weight elements in memory order: output channel = (index / inner) % channels.
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(output_axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  float* w = conv.weight.f32();
  for (int64_t i = 0; i < conv.weight.numel(); ++i) w[i] = static_cast<float>(w[i] * scale[static_cast<size_t>((i / inner) % channels)]);
  if (!conv.bias.is_defined() && !add_shift) return Status::ok();
  std::vector<float> bias = conv.bias.is_defined() ? conv.bias.to_f32() : std::vector<float>(scale.size(), 0.0f);
  for (size_t c = 0; c < bias.size(); ++c) bias[c] = static_cast<float>(bias[c] * scale[c] + (add_shift ? shift[c] : 0.0));
  UPRES_ASSIGN_OR_RETURN(conv.bias, engine::Tensor::from_f32(bias, {channels}));
  return Status::ok();
}

Result<FfcLayer> FfcLayer::bind(const nn::StateDict& weights, const std::string& key, const FfcShape& shape) {
  FfcLayer layer;
  layer.shape_ = shape;
  const std::string ffc = key + ".ffc.";
  if (weights.has(key + ".bn_l.weight")) {
    UPRES_ASSIGN_OR_RETURN(layer.out_local_, weights.dim(key + ".bn_l.weight", 0));
  }
  if (weights.has(key + ".bn_g.weight")) {
    UPRES_ASSIGN_OR_RETURN(layer.out_global_, weights.dim(key + ".bn_g.weight", 0));
  }
  const int64_t in_l = shape.in_local, in_g = shape.in_global, out_l = layer.out_local_, out_g = layer.out_global_;
  if (out_l + out_g == 0) return corrupt(key + " has neither bn_l nor bn_g");
  if (out_l < 0 || out_g < 0 || out_l > 65536 || out_g > 65536) return corrupt(key + ": channel counts out of range");
  const int64_t k = shape.kernel;
  UPRES_RETURN_IF_ERROR(check_path(weights, ffc + "convl2l.weight", in_l > 0 && out_l > 0));
  UPRES_RETURN_IF_ERROR(check_path(weights, ffc + "convl2g.weight", in_l > 0 && out_g > 0));
  UPRES_RETURN_IF_ERROR(check_path(weights, ffc + "convg2l.weight", in_g > 0 && out_l > 0));
  UPRES_RETURN_IF_ERROR(check_path(weights, ffc + "convg2g.conv2.weight", in_g > 0 && out_g > 0));
  // bn_l follows convl2l + convg2l: both scaled, the shift added once (to the first present).
  if (out_l > 0) {
    if (in_l > 0) {
      UPRES_ASSIGN_OR_RETURN(layer.l2l_, bind_conv(weights, ffc + "convl2l", {out_l, in_l, k, k}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, key + ".bn_l", 0, true, layer.l2l_));
    }
    if (in_g > 0) {
      UPRES_ASSIGN_OR_RETURN(layer.g2l_, bind_conv(weights, ffc + "convg2l", {out_l, in_g, k, k}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, key + ".bn_l", 0, in_l == 0, layer.g2l_));
    }
  }
  if (out_g > 0) {
    if (in_l > 0) {
      UPRES_ASSIGN_OR_RETURN(layer.l2g_, bind_conv(weights, ffc + "convl2g", {out_g, in_l, k, k}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, key + ".bn_g", 0, true, layer.l2g_));
    }
    if (in_g > 0) {
      const std::string g2g = ffc + "convg2g.";
      UPRES_ASSIGN_OR_RETURN(const int64_t mid, weights.dim(g2g + "conv1.0.weight", 0));
      if (mid <= 0 || mid > 65536) return corrupt(g2g + "conv1.0.weight: channel count out of range");
      UPRES_ASSIGN_OR_RETURN(layer.spectral_in_, bind_conv(weights, g2g + "conv1.0", {mid, in_g, 1, 1}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, g2g + "conv1.1", 0, true, layer.spectral_in_));
      UPRES_ASSIGN_OR_RETURN(layer.fourier_, bind_conv(weights, g2g + "fu.conv_layer", {2 * mid, 2 * mid, 1, 1}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, g2g + "fu.bn", 0, true, layer.fourier_));
      UPRES_ASSIGN_OR_RETURN(layer.spectral_out_, bind_conv(weights, g2g + "conv2", {out_g, mid, 1, 1}));
      UPRES_RETURN_IF_ERROR(fold_batch_norm(weights, key + ".bn_g", 0, in_l == 0, layer.spectral_out_));
    }
  }
  if (weights.has(ffc + "convg2g.lfu.conv_layer.weight")) return unsupported(key + ": the local Fourier unit (lfu) is not supported");
  return layer;
}

engine::Value FfcLayer::spectral(engine::Graph& graph, engine::Value x_global, engine::Value local_to_global) const {
  // SpectralTransform: stride 2 averages first (not in big-lama's residual blocks, kept for the layout).
  engine::Value x = x_global;
  if (shape_.stride == 2) x = graph.avg_pool2d(x, {.kernel = 2, .stride = 2});
  engine::Value y = graph.relu(conv(graph, x, spectral_in_));
  const int64_t width = graph.shape(y)[3];
  engine::Value f = graph.relu(conv(graph, graph.rfft2(y), fourier_));
  engine::Value z = conv(graph, graph.add(y, graph.irfft2(f, width)), spectral_out_);
  return local_to_global.is_valid() ? graph.add(local_to_global, z) : z;
}

std::pair<engine::Value, engine::Value> FfcLayer::operator()(engine::Graph& graph, engine::Value x_local,
                                                             engine::Value x_global) const {
  const engine::Value padded_l = l2l_.present() || l2g_.present() ? reflect_pad(graph, x_local, shape_.padding) : engine::Value{};
  const engine::Value padded_g = g2l_.present() ? reflect_pad(graph, x_global, shape_.padding) : engine::Value{};
  engine::Value out_l, out_g;
  // Each sum's first operand is built first, so the second conv can take it as its residual.
  if (out_local_ > 0) {
    if (l2l_.present()) out_l = conv(graph, padded_l, l2l_, shape_.stride);
    if (g2l_.present()) {
      engine::Value g = conv(graph, padded_g, g2l_, shape_.stride);
      out_l = out_l.is_valid() ? graph.add(out_l, g) : g;
    }
    out_l = graph.relu(out_l);
  }
  if (out_global_ > 0) {
    if (l2g_.present()) out_g = conv(graph, padded_l, l2g_, shape_.stride);
    if (spectral_out_.present()) out_g = spectral(graph, x_global, out_g);
    out_g = graph.relu(out_g);
  }
  return {out_l, out_g};
}

}  // namespace upres::models::lama
