// Lowering of activations, scale, prelu and binary add/mul onto oneDNN eltwise, prelu and binary
// primitives. They run in whatever layout their input has (blocked or plain).
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

Status lower_binary(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const Shape& out = graph.shape(node.output);
  const bool swap = graph.shape(node.inputs[0]) != out;
  const Value full = node.inputs[swap ? 1 : 0];
  const Value other = node.inputs[swap ? 0 : 1];
  const memory::desc src0 = plan.storage(full).desc;
  memory src1 = plan.memory_of(other);
  if (graph.shape(other) != out && src1.get_desc() != plain_desc(graph.shape(other), src1.get_desc().data_type())) {
    src1 = plan.input_as(other, plain_desc(graph.shape(other), memory::data_type::f32));  // broadcast operand
  } else if (graph.shape(other) == out && src1.get_desc() != src0) {
    src1 = plan.input_as(other, src0);  // same layout as src0 keeps oneDNN on its jit path
  }
  const algorithm alg = node.kind == OpKind::kMul ? algorithm::binary_mul : algorithm::binary_add;
  dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, src0, src1.get_desc(), src0), plan.engine());
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::binary(pd), {{DNNL_ARG_SRC_0, plan.memory_of(full)},
                                        {DNNL_ARG_SRC_1, src1},
                                        {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

}  // namespace upres::engine::cpu
