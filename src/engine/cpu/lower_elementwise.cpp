// Lowering of activations, scale, prelu and binary add/mul onto oneDNN eltwise, prelu and binary
// primitives. They run in whatever layout their input has (blocked or plain).
#include <string>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;

struct EltwiseForm {
  algorithm alg;
  float alpha = 0.0f;
  float beta = 0.0f;
};

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
  const Shape& shape = plan.graph().shape(node.inputs[0]);
  memory::dims slope_dims(shape.size(), 1);
  const std::vector<float> slope = node.constants[0].to_f32();
  if (shape.size() >= 2 && slope.size() > 1) slope_dims[1] = static_cast<int64_t>(slope.size());
  const memory::desc plain_slope = plain_desc(Shape(slope_dims.begin(), slope_dims.end()), memory::data_type::f32);
  const memory::desc any_slope(slope_dims, src_desc.data_type(), memory::format_tag::any);
  dnnl::prelu_forward::primitive_desc pd(
      dnnl::prelu_forward::desc(dnnl::prop_kind::forward_inference, src_desc, any_slope), plan.engine());
  memory weights(pd.weights_desc(), plan.engine());
  memory plain(plain_slope, plan.engine(), const_cast<float*>(slope.data()));
  dnnl::stream stream(plan.engine());
  dnnl::reorder(plain, weights).execute(stream, plain, weights);
  stream.wait();
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::prelu_forward(pd), {{DNNL_ARG_SRC, plan.memory_of(node.inputs[0])},
                                                {DNNL_ARG_WEIGHTS, weights},
                                                {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

}  // namespace

Status lower_eltwise(ExecutionPlan& plan, const Node& node) {
  if (node.kind == OpKind::kPrelu) return lower_prelu(plan, node);
  const EltwiseForm form = eltwise_form(node);
  const memory::desc src_desc = plan.storage(node.inputs[0]).desc;
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, form.alg, src_desc, form.alpha, form.beta),
      plan.engine());
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::eltwise_forward(pd),
                     {{DNNL_ARG_SRC, plan.memory_of(node.inputs[0])}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

// Whether oneDNN's binary can take this add/mul: same rank and one operand has the output shape
// (oneDNN broadcasts only src1; add and mul commute).
bool binary_runs_on_onednn(const Graph& graph, const Node& node) {
  const Shape& out = graph.shape(node.output);
  const Shape& a = graph.shape(node.inputs[0]);
  const Shape& b = graph.shape(node.inputs[1]);
  return a.size() == out.size() && b.size() == out.size() && (a == out || b == out);
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

Status lower_binary(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const Shape& out = graph.shape(node.output);
  const bool swap = graph.shape(node.inputs[0]) != out;
  const Value full = node.inputs[swap ? 1 : 0];
  const Value other = node.inputs[swap ? 0 : 1];
  const bool broadcast = graph.shape(other) != out;
  memory src0 = plan.memory_of(full);
  const memory::desc own1 = plan.storage(other).desc;
  const memory::data_type type = src0.get_desc().data_type();
  memory::desc want1 = broadcast ? broadcast_desc(plan.activations(), src0.get_desc(), out, graph.shape(other)) : src0.get_desc();
  const algorithm alg = node.kind == OpKind::kMul ? algorithm::binary_mul : algorithm::binary_add;
  auto make_pd = [&](const memory::desc& s0, const memory::desc& s1) {
    return dnnl::binary::primitive_desc(dnnl::binary::desc(alg, s0, s1, s0), plan.engine());
  };
  dnnl::binary::primitive_desc pd = make_pd(src0.get_desc(), want1);
  if (broadcast && is_ref_kernel(pd) && src0.get_desc() != plain_desc(out, type)) {
    // A broadcast the jit kernel does not take in this layout (e.g. [1,C,H,1]): plain operands when the
    // jit kernel takes those, at the cost of one reorder of src0.
    const memory::desc plain0 = plain_desc(out, type), plain1 = plain_desc(graph.shape(other), type);
    dnnl::binary::primitive_desc plain_pd = make_pd(plain0, plain1);
    if (!is_ref_kernel(plain_pd)) {
      src0 = plan.input_as(full, plain0);
      want1 = plain1;
      pd = plain_pd;
    }
  }
  const memory src1 = own1 == want1 ? plan.memory_of(other) : plan.input_as(other, want1);
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::binary(pd),
                     {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

}  // namespace upres::engine::cpu
