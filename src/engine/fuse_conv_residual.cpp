// Pass: add(conv2d(x), r) and add(scale(conv2d(x), s), r) -> conv2d summing r as a post-op
// (y = s * act(conv) + r). r must be computed before the conv and have the output's shape.
#include "engine/graph_passes.h"

namespace upres::engine {
namespace {

struct Match {
  int32_t conv = -1;   // node index of the conv
  float scale = 1.0f;  // from a scale node between conv and add
};

// Follows `v` back through at most one single-use, shift-free scale to a single-use conv2d
// without a residual yet.
Match find_conv(const Graph& graph, Value v, const std::vector<int>& uses) {
  Match match;
  int32_t producer = graph.info(v).producer;
  if (producer < 0 || uses[static_cast<size_t>(v.id)] != 1) return {};
  const Node* node = &graph.nodes()[static_cast<size_t>(producer)];
  if (node->kind == OpKind::kScale) {
    const auto& attrs = std::get<ScaleAttrs>(node->attrs);
    Value inner = node->inputs[0];
    if (attrs.shift != 0.0f || uses[static_cast<size_t>(inner.id)] != 1) return {};
    producer = graph.info(inner).producer;
    if (producer < 0) return {};
    match.scale = attrs.scale;
    node = &graph.nodes()[static_cast<size_t>(producer)];
  }
  if (node->kind != OpKind::kConv2d) return {};
  const PostOps& post = std::get<Conv2dAttrs>(node->attrs).post;
  if (post.has_residual) return {};
  match.conv = producer;
  return match;
}

bool try_fuse_add(Graph& graph, size_t add_index, const std::vector<int>& uses) {
  const Node add = graph.nodes()[add_index];
  for (int side = 0; side < 2; ++side) {
    Value operand = add.inputs[static_cast<size_t>(side)];
    Value residual = add.inputs[static_cast<size_t>(1 - side)];
    if (graph.shape(residual) != graph.shape(add.output) || graph.shape(operand) != graph.shape(add.output)) continue;
    Match match = find_conv(graph, operand, uses);
    if (match.conv < 0 || graph.info(residual).producer >= match.conv) continue;  // r must exist first
    Node& conv = graph.mutable_nodes()[static_cast<size_t>(match.conv)];
    PostOps& post = std::get<Conv2dAttrs>(conv.attrs).post;
    post.has_residual = true;
    post.residual_scale *= match.scale;
    conv.inputs.push_back(residual);
    graph.replace_uses(add.output, conv.output);
    return true;
  }
  return false;
}

}  // namespace

Status fuse_conv_residual(Graph& graph) {
  std::vector<int> uses = graph.use_counts();
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    if (graph.nodes()[i].kind != OpKind::kAdd) continue;
    if (try_fuse_add(graph, i, uses)) uses = graph.use_counts();
  }
  graph.remove_dead_nodes();
  return Status::ok();
}

}  // namespace upres::engine
