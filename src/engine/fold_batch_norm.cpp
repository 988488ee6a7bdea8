// Pass: batch_norm(conv2d(x)) -> conv2d with w' = w * g / sqrt(var + eps) per output channel and
// b' = (b - mean) * g / sqrt(var + eps) + beta. Weights become fp32.
#include <cmath>

#include "engine/graph_passes.h"

namespace upres::engine {
namespace {

Status fold_into(Node& conv, const Node& bn) {
  const auto& bn_attrs = std::get<BatchNormAttrs>(bn.attrs);
  const Tensor& weight = conv.constants[0];
  const int64_t channels = weight.dim(0);
  const int64_t per_channel = weight.numel() / channels;
  std::vector<float> w = weight.to_f32();
  std::vector<float> b = conv.constants[1].is_defined() ? conv.constants[1].to_f32() : std::vector<float>(channels, 0.0f);
  std::vector<float> gamma = bn.constants[0].is_defined() ? bn.constants[0].to_f32() : std::vector<float>(channels, 1.0f);
  std::vector<float> beta = bn.constants[1].is_defined() ? bn.constants[1].to_f32() : std::vector<float>(channels, 0.0f);
  std::vector<float> mean = bn.constants[2].to_f32();
  std::vector<float> var = bn.constants[3].to_f32();
  for (int64_t c = 0; c < channels; ++c) {
    const double factor = gamma[c] / std::sqrt(static_cast<double>(var[c]) + bn_attrs.eps);
    for (int64_t i = 0; i < per_channel; ++i) w[c * per_channel + i] = static_cast<float>(w[c * per_channel + i] * factor);
    b[c] = static_cast<float>((b[c] - static_cast<double>(mean[c])) * factor + beta[c]);
  }
  UPRES_ASSIGN_OR_RETURN(conv.constants[0], Tensor::from_f32(w, weight.shape()));
  UPRES_ASSIGN_OR_RETURN(conv.constants[1], Tensor::from_f32(b, {channels}));
  return Status::ok();
}

}  // namespace

Status fold_batch_norm(Graph& graph) {
  std::vector<int> uses = graph.use_counts();
  auto& nodes = graph.mutable_nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& bn = nodes[i];
    if (bn.kind != OpKind::kBatchNorm) continue;
    const Value x = bn.inputs[0];
    const int32_t producer = graph.info(x).producer;
    if (producer < 0 || uses[static_cast<size_t>(x.id)] != 1) continue;
    Node& conv = nodes[static_cast<size_t>(producer)];
    if (conv.kind != OpKind::kConv2d || std::get<Conv2dAttrs>(conv.attrs).post != PostOps{}) continue;
    UPRES_RETURN_IF_ERROR(fold_into(conv, bn).with_context("fold_batch_norm '" + bn.name + "'"));
    graph.replace_uses(bn.output, x);
    uses = graph.use_counts();
  }
  graph.remove_dead_nodes();
  return Status::ok();
}

}  // namespace upres::engine
