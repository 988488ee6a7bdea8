// Lowering of concat (a no-op when plan_concat_aliases put every input in place, else oneDNN's
// concat primitive) and slice (a reorder out of a submemory view).
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

bool is_plain(const memory::desc& desc, const Shape& shape) {
  return desc == plain_desc(shape, desc.data_type());
}

// Whether every input of an in-place concat already sits in its channel slice.
bool all_in_place(ExecutionPlan& plan, const Node& node) {
  const ValueStorage& out = plan.storage(node.output);
  size_t want = out.offset_in_root;
  for (Value input : node.inputs) {
    const ValueStorage& s = plan.storage(input);
    if (s.root != out.root || s.offset_in_root != want) return false;
    const Shape& shape = plan.graph().shape(input);
    want += static_cast<size_t>(shape[1] * shape[2] * shape[3]) * memory::data_type_size(plan.compute_type());
  }
  return true;
}

// A slice that plan_concat_aliases placed where its channels already lie in the source's buffer
// (a split whose parts are joined again in place): nothing to copy.
Status lower_slice_in_place(ExecutionPlan& plan, const Node& node, int axis, int64_t start) {
  const Shape& in_shape = plan.graph().shape(node.inputs[0]);
  const Shape& out_shape = plan.graph().shape(node.output);
  const ActivationLayout& activations = plan.activations();
  const memory::desc& src = plan.storage(node.inputs[0]).desc;
  const ValueStorage& from = plan.storage(node.inputs[0]);
  const ValueStorage& to = plan.storage(node.output);
  const size_t place = from.offset_in_root + static_cast<size_t>(start * in_shape[2] * in_shape[3]) *
                                                 memory::data_type_size(src.data_type());
  if (axis != 1 || !activations.holds(src, in_shape) || src.data_type() != plan.compute_type() ||
      !activations.slices_densely(start, out_shape[1]) || to.root != from.root || to.offset_in_root != place) {
    return internal_error("cpu: slice '" + node.name + "' was planned in place but its source is not where planned");
  }
  plan.set_desc(node.output, activations.desc(out_shape, src.data_type()));
  return Status::ok();
}

}  // namespace

Status lower_concat(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const Shape& out_shape = graph.shape(node.output);
  const int axis = normalize_axis(std::get<ConcatAttrs>(node.attrs).axis, static_cast<int>(out_shape.size()));
  if (!plan.storage(node.output).desc.is_zero() && all_in_place(plan, node)) return Status::ok();
  // Inputs in one layout family and dtype: the activation layout for 4-D channel concats (on block
  // boundaries when it is blocked: oneDNN's fast concat), plain otherwise.
  const ActivationLayout& activations = plan.activations();
  bool in_activation_layout = out_shape.size() == 4 && axis == 1;
  for (Value input : node.inputs) {
    const int64_t channels = graph.shape(input)[1];
    in_activation_layout = in_activation_layout && (!activations.is_blocked() || activations.slices_densely(0, channels));
  }
  const auto type = plan.compute_type();
  std::vector<memory::desc> src_descs;
  std::unordered_map<int, memory> args;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const Shape& shape = graph.shape(node.inputs[k]);
    memory src = plan.input_as(node.inputs[k], in_activation_layout ? activations.desc(shape, type) : plain_desc(shape, type));
    src_descs.push_back(src.get_desc());
    args.emplace(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), src);
  }
  if (plan.storage(node.output).desc.is_zero())
    plan.set_desc(node.output, in_activation_layout ? activations.desc(out_shape, type) : plain_desc(out_shape, type));
  const memory::desc dst_desc = plan.storage(node.output).desc;
  dnnl::concat::primitive_desc pd(dst_desc, axis, src_descs, plan.engine());
  args.emplace(DNNL_ARG_DST, plan.memory_of(node.output));
  plan.add_primitive(dnnl::concat(pd), std::move(args));
  return Status::ok();
}

Status lower_slice(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const Shape& in_shape = graph.shape(node.inputs[0]);
  const Shape& out_shape = graph.shape(node.output);
  const auto& attrs = std::get<SliceAttrs>(node.attrs);
  const int axis = normalize_axis(attrs.axis, static_cast<int>(in_shape.size()));
  int64_t start = attrs.start < 0 ? attrs.start + in_shape[static_cast<size_t>(axis)] : attrs.start;
  start = std::clamp<int64_t>(start, 0, in_shape[static_cast<size_t>(axis)]);
  memory src = plan.memory_of(node.inputs[0]);
  const auto type = src.get_desc().data_type();
  if (plan.is_aliased(node.output)) return lower_slice_in_place(plan, node, axis, start);
  // A source in the activation layout can be viewed at any channel range when it is channels-last;
  // when it is blocked, only from a block boundary to a block boundary or the last channel (oneDNN
  // cannot describe a sub-memory ending inside a block that goes on); else go plain first.
  const ActivationLayout& activations = plan.activations();
  const int64_t end = start + out_shape[static_cast<size_t>(axis)];
  const auto block_edge = [&](int64_t c) { return c % activations.channel_block() == 0; };
  const bool layout_view = !is_plain(src.get_desc(), in_shape) && axis == 1 && activations.holds(src.get_desc(), in_shape) &&
                            (!activations.is_blocked() ||
                             (block_edge(start) && (block_edge(end) || end == in_shape[static_cast<size_t>(axis)])));
  if (!layout_view && !is_plain(src.get_desc(), in_shape)) src = plan.input_as(node.inputs[0], plain_desc(in_shape, type));
  memory::dims offsets(in_shape.size(), 0);
  offsets[static_cast<size_t>(axis)] = start;
  const memory::desc sub = src.get_desc().submemory_desc(memory::dims(out_shape.begin(), out_shape.end()), offsets);
  plan.set_desc(node.output, layout_view ? activations.desc(out_shape, type) : plain_desc(out_shape, type));
  plan.add_reorder(plan.view_of(src, sub), plan.memory_of(node.output));
  return Status::ok();
}

}  // namespace upres::engine::cpu
