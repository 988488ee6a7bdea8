// In-place dense-block concatenation: convolutions write straight into channel slices of one
// blocked (nChw16c or nChw8c) buffer. With batch 1, a slice at a channel offset that is a multiple
// of the block is itself a dense blocked tensor (offset / block blocks in), so oneDNN sees plain
// descriptors and stays on its jit kernels (a strided NHWC slice would fall to its `ref` kernel:
// with a channels-last layout concats are copies).
// Also the split-modulate-join of GFPGAN's SFT, concat(slice(x, 0, h), slice(x, h, C) * s + t):
// x, both slices and the elementwise chain all live in the concat's buffer, so the slices and
// the concat are no-ops and the chain runs in place on its channel half (see plan_split_in_place).
#include <algorithm>
#include <optional>

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
    if (!(p.kind == OpKind::kConv2d && conv_fills_concat_slice(p)) && p.kind != OpKind::kConcat) return false;
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

const Node& producer_of(const Graph& graph, Value value) {
  return graph.nodes()[static_cast<size_t>(graph.info(value).producer)];
}

bool is_graph_output(const Graph& graph, Value value) {
  return std::find(graph.outputs().begin(), graph.outputs().end(), value) != graph.outputs().end();
}

// A concat input that can live in its slice of the split value: the chain from a channel slice of
// the split value through single-use add/mul ops that keep its shape (the slice their first operand,
// which lower_binary then reads as src0 and overwrites in place).
struct SplitPart {
  Value split;                 // the value the chain starts from a slice of
  int64_t start = 0;           // the slice's first channel
  std::vector<Value> members;  // the slice's output, then each op's output
};

std::optional<SplitPart> split_part(ExecutionPlan& plan, Value input, const std::vector<int>& uses) {
  const Graph& graph = plan.graph();
  SplitPart part;
  Value v = input;
  for (;;) {
    if (graph.info(v).producer < 0 || uses[static_cast<size_t>(v.id)] != 1 || is_graph_output(graph, v) ||
        plan.is_aliased(v) || plan.has_aliases(v) || !plan.storage(v).desc.is_zero()) {
      return std::nullopt;
    }
    part.members.insert(part.members.begin(), v);
    const Node& node = producer_of(graph, v);
    if (node.kind == OpKind::kSlice) {
      const auto& attrs = std::get<SliceAttrs>(node.attrs);
      const Shape& in = graph.shape(node.inputs[0]);
      if (in.size() != 4 || normalize_axis(attrs.axis, 4) != 1 || attrs.start < 0) return std::nullopt;
      part.split = node.inputs[0];
      part.start = attrs.start;
      return part;
    }
    if ((node.kind != OpKind::kAdd && node.kind != OpKind::kMul) || node.inputs.size() != 2 ||
        graph.shape(node.inputs[0]) != graph.shape(v) || node.inputs[1] == node.inputs[0] ||
        !binary_runs_on_onednn(graph, node)) {
      return std::nullopt;
    }
    v = node.inputs[0];
  }
}

// concat(parts of x) with each part a channel slice of x at its own place in the output (and an
// elementwise chain after it), x read by those slices only and produced by a oneDNN convolution
// (which writes the blocked activation layout into any buffer): x and the parts alias the output.
bool plan_split_in_place(ExecutionPlan& plan, const Node& node, const std::vector<int>& uses) {
  const Graph& graph = plan.graph();
  const Shape& out_shape = graph.shape(node.output);
  if (node.kind != OpKind::kConcat || node.inputs.size() < 2 || !eligible_shape(plan.activations(), out_shape) ||
      normalize_axis(std::get<ConcatAttrs>(node.attrs).axis, 4) != 1 || !plan.storage(node.output).desc.is_zero() ||
      plan.is_aliased(node.output) || plan.has_aliases(node.output)) {
    return false;
  }
  std::vector<SplitPart> parts;
  int64_t channel = 0;
  for (Value input : node.inputs) {
    std::optional<SplitPart> part = split_part(plan, input, uses);
    if (!part || part->start != channel || (!parts.empty() && part->split != parts[0].split) ||
        !eligible_shape(plan.activations(), graph.shape(input)) ||
        !plan.activations().slices_densely(channel, graph.shape(input)[1])) {
      return false;
    }
    channel += graph.shape(input)[1];
    parts.push_back(std::move(*part));
  }
  const Value split = parts[0].split;
  const int32_t producer = graph.info(split).producer;
  if (producer < 0 || graph.shape(split) != out_shape || uses[static_cast<size_t>(split.id)] != static_cast<int>(parts.size()) ||
      is_graph_output(graph, split) || plan.is_aliased(split) || plan.has_aliases(split) ||
      !plan.storage(split).desc.is_zero()) {
    return false;
  }
  const Node& p = producer_of(graph, split);
  if (p.kind != OpKind::kConv2d || !conv_fills_concat_slice(p)) return false;
  plan.set_desc(node.output, plan.activation_desc(out_shape, plan.compute_type()));
  plan.alias(split, node.output, 0);
  for (const SplitPart& part : parts) {
    for (Value member : part.members) plan.alias(member, node.output, part.start);
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
  const std::vector<int> uses = graph.use_counts();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) plan_split_in_place(plan, *it, uses);
}

}  // namespace upres::engine::cpu
