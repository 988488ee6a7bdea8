// In-place dense-block concatenation: convolutions write straight into channel slices of one
// blocked (nChw16c or nChw8c) buffer. With batch 1, a slice at a channel offset that is a multiple
// of the block is itself a dense blocked tensor (offset / block blocks in), so oneDNN sees plain
// descriptors and stays on its jit kernels (a strided NHWC slice would fall to its `ref` kernel:
// with a channels-last layout concats are copies).
#include <algorithm>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

namespace {

bool eligible_shape(const ActivationLayout& layout, const Shape& shape) {
  return shape.size() == 4 && shape[0] == 1 && layout.slices_densely(0, shape[1]);
}

// Whether `node` is an in-place concat whose inputs may become slices of its output.
bool eligible(const ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  if (node.kind != OpKind::kConcat || !std::get<ConcatAttrs>(node.attrs).in_place) return false;
  if (!eligible_shape(plan.activations(), graph.shape(node.output))) return false;
  for (Value input : node.inputs) {
    const int32_t producer = graph.info(input).producer;
    if (producer < 0 || !eligible_shape(plan.activations(), graph.shape(input))) return false;
    const Node& p = graph.nodes()[static_cast<size_t>(producer)];
    if (!(p.kind == OpKind::kConv2d && conv_runs_on_onednn(p)) && p.kind != OpKind::kConcat) return false;
  }
  return true;
}

// Whether every input already sits in one buffer, contiguous from the first input's place.
bool inputs_form_prefix(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const ValueStorage& first = plan.storage(node.inputs[0]);
  size_t want = first.offset_in_root;
  for (Value input : node.inputs) {
    const ValueStorage& s = plan.storage(input);
    if (!plan.is_aliased(input) || s.root != first.root || s.offset_in_root != want) return false;
    const Shape& shape = graph.shape(input);
    want += static_cast<size_t>(shape[1] * shape[2] * shape[3]) * dnnl::memory::data_type_size(plan.compute_type());
  }
  return true;
}

// Whether each input is either free or already exactly where the output's channel slice is.
bool inputs_fit(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const ValueStorage& out = plan.storage(node.output);
  size_t want = out.offset_in_root;
  for (Value input : node.inputs) {
    const ValueStorage& s = plan.storage(input);
    if (plan.is_aliased(input) && (s.root != out.root || s.offset_in_root != want)) return false;
    const Shape& shape = graph.shape(input);
    want += static_cast<size_t>(shape[1] * shape[2] * shape[3]) * dnnl::memory::data_type_size(plan.compute_type());
  }
  return true;
}

}  // namespace

void plan_concat_aliases(ExecutionPlan& plan) {
  const Graph& graph = plan.graph();
  const auto& nodes = graph.nodes();
  // Latest (widest) concats first, so a dense block's nested concats become prefixes of the last.
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const Node& node = *it;
    if (!eligible(plan, node) || !plan.storage(node.output).desc.is_zero()) continue;
    if (inputs_form_prefix(plan, node)) {
      const ValueStorage& first = plan.storage(node.inputs[0]);
      const int32_t root = first.root;
      const size_t offset = first.offset_in_root;
      plan.alias(node.output, Value{root}, 0);
      plan.storage(node.output).offset_in_root = offset;
      plan.set_desc(node.output, plan.activation_desc(graph.shape(node.output), plan.compute_type()));
      continue;
    }
    plan.set_desc(node.output, plan.activation_desc(graph.shape(node.output), plan.compute_type()));
    if (!inputs_fit(plan, node)) continue;
    int64_t channel = 0;
    for (Value input : node.inputs) {
      if (!plan.is_aliased(input)) plan.alias(input, node.output, channel);
      channel += graph.shape(input)[1];
    }
  }
}

}  // namespace upres::engine::cpu
