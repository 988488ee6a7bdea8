// Native broadcasting binary step (add, mul, sub, div, max, min) for the broadcasts oneDNN 2.6's
// binary answers only with its `ref` kernel in every layout (e.g. x - mean(x, -1) of a plain
// [1, H, W, C] value, [1, H, W, 1] against [1, H, W, C]: the LayerNorm that old ONNX opsets write
// out). Plain fp32 operands, OpenMP over rows of the last dim. The step's state is immutable after
// lowering: thread-compatible.
#include <algorithm>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

enum class NativeBinaryOp { kAdd, kMul, kSub, kDiv, kMax, kMin };

NativeBinaryOp native_op(const Node& node) {
  if (node.kind == OpKind::kAdd) return NativeBinaryOp::kAdd;
  if (node.kind == OpKind::kMul) return NativeBinaryOp::kMul;
  switch (std::get<BinaryAttrs>(node.attrs).op) {
    case BinaryOp::kSub: return NativeBinaryOp::kSub;
    case BinaryOp::kDiv: return NativeBinaryOp::kDiv;
    case BinaryOp::kMax: return NativeBinaryOp::kMax;
    case BinaryOp::kMin: return NativeBinaryOp::kMin;
  }
  return NativeBinaryOp::kAdd;
}

// Element strides of `in` broadcast to `out` (right-aligned; 0 where it repeats).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    const size_t i = in.size() - 1 - k, o = out.size() - 1 - k;
    strides[o] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

template <NativeBinaryOp kOp>
inline float apply(float a, float b) {
  if constexpr (kOp == NativeBinaryOp::kAdd) return a + b;
  if constexpr (kOp == NativeBinaryOp::kMul) return a * b;
  if constexpr (kOp == NativeBinaryOp::kSub) return a - b;
  if constexpr (kOp == NativeBinaryOp::kDiv) return a / b;
  if constexpr (kOp == NativeBinaryOp::kMax) return std::max(a, b);
  return std::min(a, b);
}

struct BinaryLoops {
  Shape out;
  std::vector<int64_t> stride_a, stride_b;
};

template <NativeBinaryOp kOp>
void run_rows(const float* a, const float* b, float* y, const BinaryLoops& loops) {
  const size_t rank = loops.out.size();
  const int64_t length = loops.out[rank - 1], rows = length == 0 ? 0 : shape_numel(loops.out) / length;
  const int64_t step_a = loops.stride_a[rank - 1], step_b = loops.stride_b[rank - 1];
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t offset_a = 0, offset_b = 0;
    for (size_t k = rank - 1, rest = static_cast<size_t>(r); k-- > 0;) {
      const auto index = static_cast<int64_t>(rest % static_cast<size_t>(loops.out[k]));
      rest /= static_cast<size_t>(loops.out[k]);
      offset_a += index * loops.stride_a[k];
      offset_b += index * loops.stride_b[k];
    }
    float* row = y + r * length;
    for (int64_t i = 0; i < length; ++i) row[i] = apply<kOp>(a[offset_a + i * step_a], b[offset_b + i * step_b]);
  }
}

}  // namespace

Status lower_binary_native(ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const dnnl::memory::data_type f32 = dnnl::memory::data_type::f32;
  const Shape& sa = graph.shape(node.inputs[0]);
  const Shape& sb = graph.shape(node.inputs[1]);
  const Shape& out = graph.shape(node.output);
  const dnnl::memory a = plan.input_as(node.inputs[0], plain_desc(sa, f32));
  const dnnl::memory b = plan.input_as(node.inputs[1], plain_desc(sb, f32));
  plan.set_desc(node.output, plain_desc(out, f32));
  const dnnl::memory y = plan.memory_of(node.output);
  const BinaryLoops loops{out, broadcast_strides(sa, out), broadcast_strides(sb, out)};
  const NativeBinaryOp op = native_op(node);
  plan.add_host([a, b, y, loops, op]() {
    const auto* pa = static_cast<const float*>(a.get_data_handle());
    const auto* pb = static_cast<const float*>(b.get_data_handle());
    auto* py = static_cast<float*>(y.get_data_handle());
    switch (op) {
      case NativeBinaryOp::kAdd: run_rows<NativeBinaryOp::kAdd>(pa, pb, py, loops); break;
      case NativeBinaryOp::kMul: run_rows<NativeBinaryOp::kMul>(pa, pb, py, loops); break;
      case NativeBinaryOp::kSub: run_rows<NativeBinaryOp::kSub>(pa, pb, py, loops); break;
      case NativeBinaryOp::kDiv: run_rows<NativeBinaryOp::kDiv>(pa, pb, py, loops); break;
      case NativeBinaryOp::kMax: run_rows<NativeBinaryOp::kMax>(pa, pb, py, loops); break;
      case NativeBinaryOp::kMin: run_rows<NativeBinaryOp::kMin>(pa, pb, py, loops); break;
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
