// Pass: an outer residual around a conv that already sums an inner one,
//   add(scale(conv(x) + r1, s), r2)  ->  conv(x) * s + r',  r' = add(scale(r1, s), r2),
// with r' computed just before the conv. RRDBNet ends each RRDB this way (0.2 * rdb3 + x); after
// the fold the block's output is a conv output again, which backends can place in the next
// block's concat buffer, and the scale and add run on the residual instead of after the conv.
#include <algorithm>

#include "engine/graph_passes.h"

namespace upres::engine {
namespace {

struct Match {
  size_t add = 0;      // node index of the outer add
  int32_t conv = -1;   // node index of the conv with the inner residual
  float scale = 1.0f;  // s, from an optional scale node between conv and add
  Value outer;         // r2
};

// Whether `v` is a conv output with a fused residual, read once (through at most one single-use,
// shift-free scale) by the add at `add_index`; fills conv and scale.
bool find_inner(const Graph& graph, Value v, const std::vector<int>& uses, Match& match) {
  if (uses[static_cast<size_t>(v.id)] != 1) return false;
  int32_t producer = graph.info(v).producer;
  if (producer < 0) return false;
  const Node* node = &graph.nodes()[static_cast<size_t>(producer)];
  match.scale = 1.0f;
  if (node->kind == OpKind::kScale) {
    const auto& attrs = std::get<ScaleAttrs>(node->attrs);
    Value inner = node->inputs[0];
    if (attrs.shift != 0.0f || uses[static_cast<size_t>(inner.id)] != 1) return false;
    producer = graph.info(inner).producer;
    if (producer < 0) return false;
    match.scale = attrs.scale;
    node = &graph.nodes()[static_cast<size_t>(producer)];
  }
  if (node->kind != OpKind::kConv2d) return false;
  const PostOps& post = std::get<Conv2dAttrs>(node->attrs).post;
  // An activation applied after the inner sum does not distribute over the outer one.
  const bool linear_after_sum = !post.activation_after_residual || post.activation == Activation::kNone;
  if (!post.has_residual || !linear_after_sum) return false;
  match.conv = producer;
  return true;
}

bool find_match(const Graph& graph, Match& match) {
  const std::vector<int> uses = graph.use_counts();
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& add = graph.nodes()[i];
    if (add.kind != OpKind::kAdd) continue;
    for (int side = 0; side < 2; ++side) {
      Value operand = add.inputs[static_cast<size_t>(side)];
      Value outer = add.inputs[static_cast<size_t>(1 - side)];
      if (graph.shape(operand) != graph.shape(add.output) || graph.shape(outer) != graph.shape(add.output)) continue;
      if (!find_inner(graph, operand, uses, match)) continue;
      if (graph.info(outer).producer >= match.conv) continue;  // r2 must exist before the conv
      match.add = i;
      match.outer = outer;
      return true;
    }
  }
  return false;
}

void fold(Graph& graph, const Match& match) {
  const size_t first_new = graph.nodes().size();
  const Node conv = graph.nodes()[static_cast<size_t>(match.conv)];
  const Value inner = conv.inputs[1];
  const Value scaled =
      match.scale == 1.0f ? inner : graph.named(graph.scale(inner, match.scale), conv.name + ".outer_scale");
  const Value residual = graph.named(graph.add(scaled, match.outer), conv.name + ".outer_residual");
  // Move the new nodes just before the conv; remove_dead_nodes() below re-links producers.
  auto& nodes = graph.mutable_nodes();
  std::rotate(nodes.begin() + match.conv, nodes.begin() + static_cast<std::ptrdiff_t>(first_new), nodes.end());
  const size_t conv_index = static_cast<size_t>(match.conv) + (nodes.size() - first_new);
  Node& moved = nodes[conv_index];
  moved.inputs[1] = residual;
  std::get<Conv2dAttrs>(moved.attrs).post.residual_scale *= match.scale;
  graph.replace_uses(nodes[match.add + (nodes.size() - first_new)].output, moved.output);
  graph.remove_dead_nodes();
}

}  // namespace

Status fold_nested_residual(Graph& graph) {
  UPRES_RETURN_IF_ERROR(graph.status());
  // Each fold removes one add after a conv; the cap only guards against a rewrite loop.
  for (size_t round = 0; round <= graph.nodes().size(); ++round) {
    Match match;
    if (!find_match(graph, match)) return Status::ok();
    fold(graph, match);
  }
  return internal_error("fold_nested_residual: did not converge");
}

}  // namespace upres::engine
