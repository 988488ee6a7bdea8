// Lowering of activations, scale, prelu and binary add/mul/sub/div/max/min onto oneDNN eltwise, prelu and binary
// primitives. They run in whatever layout their input has (blocked or plain).
#include <string>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;

EltwiseForm eltwise_form(const Node& node) {
  switch (node.kind) {
    case OpKind::kLeakyRelu: return {algorithm::eltwise_relu, std::get<LeakyReluAttrs>(node.attrs).negative_slope};
    case OpKind::kSigmoid: return {algorithm::eltwise_logistic};
    case OpKind::kTanh: return {algorithm::eltwise_tanh};
    case OpKind::kGelu: {
      const auto* gelu = std::get_if<GeluAttrs>(&node.attrs);
      return {gelu != nullptr && gelu->tanh_approximation ? algorithm::eltwise_gelu_tanh : algorithm::eltwise_gelu_erf};
    }
    case OpKind::kSilu: return {algorithm::eltwise_swish, 1.0f};
    case OpKind::kMish: return {algorithm::eltwise_mish};
    case OpKind::kScale: {
      const auto& s = std::get<ScaleAttrs>(node.attrs);
      return {algorithm::eltwise_linear, s.scale, s.shift};
    }
    default: return {algorithm::eltwise_relu};
  }
}

Status lower_prelu(ExecutionPlan& plan, const Node& node) {
  const memory::desc src_desc = plan.storage(node.inputs[0]).desc;
  plan.set_desc(node.output, src_desc);
  add_prelu(plan, plan.memory_of(node.inputs[0]), plan.memory_of(node.output), plan.graph().shape(node.inputs[0]),
            node.constants[0]);
  return Status::ok();
}

}  // namespace

Status lower_eltwise(ExecutionPlan& plan, const Node& node) {
  if (node.kind == OpKind::kPrelu) return lower_prelu(plan, node);
  return lower_as_eltwise(plan, node, eltwise_form(node));
}

void add_prelu(ExecutionPlan& plan, const memory& src, const memory& dst, const Shape& shape, const Tensor& slope) {
  // One slope is given to every channel: oneDNN 2.6 broadcasts a scalar slope only on its `ref` kernel.
  std::vector<float> slopes = slope.to_f32();
  memory::dims slope_dims(shape.size(), 1);
  if (shape.size() >= 2) {
    if (slopes.size() == 1) slopes.assign(static_cast<size_t>(shape[1]), slopes[0]);
    slope_dims[1] = static_cast<int64_t>(slopes.size());
  }
  const memory::desc& src_desc = src.get_desc();
  const memory::desc plain_slope = plain_desc(Shape(slope_dims.begin(), slope_dims.end()), memory::data_type::f32);
  const memory::desc any_slope(slope_dims, src_desc.data_type(), memory::format_tag::any);
  dnnl::prelu_forward::primitive_desc pd(
      dnnl::prelu_forward::desc(dnnl::prop_kind::forward_inference, src_desc, any_slope), plan.engine());
  memory weights(pd.weights_desc(), plan.engine());
  memory plain(plain_slope, plan.engine(), slopes.data());
  dnnl::stream stream(plan.engine());
  dnnl::reorder(plain, weights).execute(stream, plain, weights);
  stream.wait();
  plan.add_primitive(dnnl::prelu_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
}

Status lower_as_eltwise(ExecutionPlan& plan, const Node& node, const EltwiseForm& form) {
  const memory::desc src_desc = plan.storage(node.inputs[0]).desc;
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, form.alg, src_desc, form.alpha, form.beta),
      plan.engine());
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::eltwise_forward(pd),
                     {{DNNL_ARG_SRC, plan.memory_of(node.inputs[0])}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

namespace {

// Sub and div (kBinary) do not commute: their operands keep their places.
bool commutes(const Node& node) {
  const auto* math = std::get_if<BinaryAttrs>(&node.attrs);
  return math == nullptr || math->op == BinaryOp::kMax || math->op == BinaryOp::kMin;
}

algorithm binary_algorithm(const Node& node) {
  if (node.kind == OpKind::kMul) return algorithm::binary_mul;
  const auto* math = std::get_if<BinaryAttrs>(&node.attrs);
  if (math == nullptr) return algorithm::binary_add;
  switch (math->op) {
    case BinaryOp::kSub: return algorithm::binary_sub;
    case BinaryOp::kDiv: return algorithm::binary_div;
    case BinaryOp::kMax: return algorithm::binary_max;
    case BinaryOp::kMin: return algorithm::binary_min;
  }
  return algorithm::binary_add;
}

}  // namespace

// Whether oneDNN's binary can take this add/mul/sub/div/max/min: same rank and one operand has the
// output shape (oneDNN broadcasts only src1, so for sub and div it must be the second); the other
// may have a lower rank (numpy's leading 1s, e.g. x / x.norm()).
bool binary_runs_on_onednn(const Graph& graph, const Node& node) {
  const Shape& out = graph.shape(node.output);
  const Shape& a = graph.shape(node.inputs[0]);
  const Shape& b = graph.shape(node.inputs[1]);
  return (a == out && b.size() <= out.size()) || (b == out && a.size() <= out.size() && commutes(node));
}

// oneDNN 2.6 runs binary on its jit kernel only when src1 has src0's layout (a broadcast
// [1,C,1,1] or [1,1,H,W] operand included: nChw16c src0 with a plain src1 takes the `ref`
// kernel, ~100x slower). The broadcast operand therefore follows src0: the activation layout or plain.
memory::desc broadcast_desc(const ActivationLayout& activations, const memory::desc& src0, const Shape& full,
                            const Shape& other) {
  if (activations.holds(src0, full)) return activations.desc(other, src0.data_type());
  return plain_desc(other, src0.data_type());
}

bool is_ref_kernel(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

// A lower-rank operand as `want` (its shape with leading 1s): its plain bytes seen through the
// padded shape, converted when `want` is another layout or type.
memory lower_rank_operand(ExecutionPlan& plan, Value value, const memory::desc& want) {
  const memory::data_type own_type = plan.storage(value).desc.data_type();
  const memory plain = plan.input_as(value, plain_desc(plan.graph().shape(value), own_type));
  const memory::dims dims = want.dims();
  const memory view = plan.view_of(plain, plain_desc(Shape(dims.begin(), dims.end()), own_type));
  if (view.get_desc() == want) return view;
  memory converted = plan.temp(want);
  plan.add_reorder(view, converted);
  return converted;
}

Status lower_binary(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  if (!binary_runs_on_onednn(graph, node)) return lower_binary_native(plan, node);
  const Shape& out = graph.shape(node.output);
  const bool swap = graph.shape(node.inputs[0]) != out;
  const Value full = node.inputs[swap ? 1 : 0];
  const Value other = node.inputs[swap ? 0 : 1];
  Shape other_shape(out.size() - graph.shape(other).size(), 1);  // right-aligned, as numpy broadcasts
  other_shape.insert(other_shape.end(), graph.shape(other).begin(), graph.shape(other).end());
  const bool broadcast = other_shape != out;
  memory src0 = plan.memory_of(full);
  const memory::desc own1 = plan.storage(other).desc;
  const memory::data_type type = src0.get_desc().data_type();
  memory::desc want1 = broadcast ? broadcast_desc(plan.activations(), src0.get_desc(), out, other_shape) : src0.get_desc();
  const algorithm alg = binary_algorithm(node);
  auto make_pd = [&](const memory::desc& s0, const memory::desc& s1) {
    return dnnl::binary::primitive_desc(dnnl::binary::desc(alg, s0, s1, s0), plan.engine());
  };
  dnnl::binary::primitive_desc pd = make_pd(src0.get_desc(), want1);
  if (broadcast && is_ref_kernel(pd) && src0.get_desc() != plain_desc(out, type)) {
    // A broadcast the jit kernel does not take in this layout (e.g. [1,C,H,1]): plain operands when the
    // jit kernel takes those, at the cost of one reorder of src0.
    const memory::desc plain0 = plain_desc(out, type), plain1 = plain_desc(other_shape, type);
    dnnl::binary::primitive_desc plain_pd = make_pd(plain0, plain1);
    if (!is_ref_kernel(plain_pd)) {
      src0 = plan.input_as(full, plain0);
      want1 = plain1;
      pd = plain_pd;
    }
  }
  if (plan.is_aliased(node.output)) {
    // Planned in place (plan_concat_aliases: a chain inside a concat buffer): src0 is overwritten,
    // so it must be read where it lies, in its own layout, by the jit kernel.
    const memory::desc& own0 = plan.storage(full).desc;
    if (swap || is_ref_kernel(pd) || src0.get_desc() != own0 || pd.dst_desc() != own0) {
      return internal_error("cpu: " + std::string(op_kind_name(node.kind)) + " '" + node.name +
                            "' was planned in place but cannot run there");
    }
  }
  if (is_ref_kernel(pd)) return lower_binary_native(plan, node);  // no jit kernel in either layout
  const memory src1 = other_shape.size() != graph.shape(other).size() ? lower_rank_operand(plan, other, want1)
                      : own1 == want1 ? plan.memory_of(other) : plan.input_as(other, want1);
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::binary(pd),
                     {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

}  // namespace upres::engine::cpu
