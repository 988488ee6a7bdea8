// Lowering of kUnary: oneDNN eltwise for sqrt, exp, log, abs, square, reciprocal (pow -1), pow and
// clip, in whatever layout the input has; erf (which oneDNN 2.6 has only inside gelu_erf) as a
// native host step over plain fp32, std::erf with OpenMP. The step's state is immutable after
// lowering: thread-compatible.
#include <cmath>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;

EltwiseForm unary_form(const UnaryAttrs& a) {
  switch (a.op) {
    case UnaryOp::kSqrt: return {algorithm::eltwise_sqrt};
    case UnaryOp::kExp: return {algorithm::eltwise_exp};
    case UnaryOp::kLog: return {algorithm::eltwise_log};
    case UnaryOp::kAbs: return {algorithm::eltwise_abs};
    case UnaryOp::kSquare: return {algorithm::eltwise_square};
    case UnaryOp::kReciprocal: return {algorithm::eltwise_pow, 1.0f, -1.0f};  // alpha * x^beta
    case UnaryOp::kPow: return {algorithm::eltwise_pow, 1.0f, a.exponent};
    case UnaryOp::kClip: return {algorithm::eltwise_clip, a.lo, a.hi};
    case UnaryOp::kErf: break;  // native step
  }
  return {algorithm::undef};
}

Status lower_erf(ExecutionPlan& plan, const Node& node) {
  const Shape& shape = plan.graph().shape(node.inputs[0]);
  const memory::desc plain = plain_desc(shape, memory::data_type::f32);
  const memory src = plan.input_as(node.inputs[0], plain);
  plan.set_desc(node.output, plain);
  const memory dst = plan.memory_of(node.output);
  const int64_t count = shape_numel(shape);
  plan.add_host([src, dst, count]() {
    const auto* x = static_cast<const float*>(src.get_data_handle());
    auto* y = static_cast<float*>(dst.get_data_handle());
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) y[i] = std::erf(x[i]);
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace

Status lower_unary(ExecutionPlan& plan, const Node& node) {
  const auto& attrs = std::get<UnaryAttrs>(node.attrs);
  if (attrs.op == UnaryOp::kErf) return lower_erf(plan, node);
  return lower_as_eltwise(plan, node, unary_form(attrs));
}

}  // namespace upres::engine::cpu
