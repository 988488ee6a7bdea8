// Pass: act(conv2d(x)) -> conv2d with post.activation (or activation_after_residual when the
// conv already sums a residual), when the conv output has no other reader.
#include "engine/graph_passes.h"

namespace upres::engine {
namespace {

// The post-op form of a standalone activation node, or kNone if it has none.
Activation fusable_activation(const Node& node) {
  switch (node.kind) {
    case OpKind::kRelu: return Activation::kRelu;
    case OpKind::kLeakyRelu: return Activation::kLeakyRelu;
    case OpKind::kPrelu: return Activation::kPrelu;
    case OpKind::kSigmoid: return Activation::kSigmoid;
    case OpKind::kTanh: return Activation::kTanh;
    case OpKind::kGelu: return std::get<GeluAttrs>(node.attrs).tanh_approximation ? Activation::kNone : Activation::kGelu;
    case OpKind::kSilu: return Activation::kSilu;
    case OpKind::kMish: return Activation::kMish;
    default: return Activation::kNone;
  }
}

// Fuses `act` into `conv` if the conv's post-ops can express act(previous result).
bool try_fuse(Node& conv, const Node& act, Activation activation) {
  PostOps& post = std::get<Conv2dAttrs>(conv.attrs).post;
  if (post.activation != Activation::kNone) return false;
  if (post.has_residual) {
    post.activation_after_residual = true;  // act(scale * c + r)
  } else if (post.residual_scale != 1.0f) {
    return false;  // act(scale * c) is not scale * act(c)
  }
  post.activation = activation;
  if (activation == Activation::kLeakyRelu) post.activation_alpha = std::get<LeakyReluAttrs>(act.attrs).negative_slope;
  if (activation == Activation::kPrelu) {
    conv.constants.resize(3);
    conv.constants[2] = act.constants[0];
  }
  return true;
}

}  // namespace

Status fuse_conv_activation(Graph& graph) {
  std::vector<int> uses = graph.use_counts();
  auto& nodes = graph.mutable_nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Activation activation = fusable_activation(nodes[i]);
    if (activation == Activation::kNone) continue;
    const Value x = nodes[i].inputs[0];
    const int32_t producer = graph.info(x).producer;
    if (producer < 0 || uses[static_cast<size_t>(x.id)] != 1) continue;
    Node& conv = nodes[static_cast<size_t>(producer)];
    if (conv.kind != OpKind::kConv2d || !try_fuse(conv, nodes[i], activation)) continue;
    graph.replace_uses(nodes[i].output, x);
    uses = graph.use_counts();
  }
  graph.remove_dead_nodes();
  return Status::ok();
}

}  // namespace upres::engine
