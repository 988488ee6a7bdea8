// Lowering of pooling (max, average, global average) onto oneDNN pooling, and of linear, matmul
// and softmax onto oneDNN matmul and softmax. Dense ops run on plain fp32 copies in either
// compute mode: they are small next to the convolutions and keep full precision.
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;
constexpr auto kF32 = memory::data_type::f32;

struct PoolGeometry {
  memory::dims kernel, strides, pad_l, pad_r;
  algorithm alg = algorithm::pooling_max;
};

// PyTorch's pooling as oneDNN's: ceil_mode becomes extra right padding, which oneDNN's
// include-padding average would count, so that one case stays on the fallback.
bool pool_geometry(const Graph& graph, const Node& node, PoolGeometry& g) {
  const Shape& in = graph.shape(node.inputs[0]);
  const Shape& out = graph.shape(node.output);
  if (in.size() != 4) return false;
  if (node.kind == OpKind::kGlobalAvgPool) {
    g = {{in[2], in[3]}, {1, 1}, {0, 0}, {0, 0}, algorithm::pooling_avg_exclude_padding};
    return true;
  }
  const auto& a = std::get<Pool2dAttrs>(node.attrs);
  const int64_t sh = a.stride.h > 0 ? a.stride.h : a.kernel.h;
  const int64_t sw = a.stride.w > 0 ? a.stride.w : a.kernel.w;
  g.kernel = {a.kernel.h, a.kernel.w};
  g.strides = {sh, sw};
  g.pad_l = {a.padding.h, a.padding.w};
  g.pad_r = {(out[2] - 1) * sh + a.kernel.h - in[2] - a.padding.h, (out[3] - 1) * sw + a.kernel.w - in[3] - a.padding.w};
  const bool extra = g.pad_r[0] != a.padding.h || g.pad_r[1] != a.padding.w;
  if (node.kind == OpKind::kMaxPool2d) {
    g.alg = algorithm::pooling_max;
    return true;
  }
  g.alg = a.count_include_pad ? algorithm::pooling_avg_include_padding : algorithm::pooling_avg_exclude_padding;
  return !(extra && a.count_include_pad) && g.pad_r[0] >= 0 && g.pad_r[1] >= 0;
}

Status lower_pool(ExecutionPlan& plan, const Node& node) {
  PoolGeometry g;
  pool_geometry(plan.graph(), node, g);
  const memory::desc src = plan.storage(node.inputs[0]).desc;
  const Shape& out = plan.graph().shape(node.output);
  const memory::desc dst(memory::dims(out.begin(), out.end()), src.data_type(), memory::format_tag::any);
  dnnl::pooling_forward::primitive_desc pd(
      dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, g.alg, src, dst, g.strides, g.kernel, g.pad_l, g.pad_r),
      plan.engine());
  plan.set_desc(node.output, pd.dst_desc());
  plan.add_primitive(dnnl::pooling_forward(pd),
                     {{DNNL_ARG_SRC, plan.memory_of(node.inputs[0])}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

// y = x W^T + b over the last axis: a [M, in] x [in, out] matmul on W's bytes read transposed.
Status lower_linear(ExecutionPlan& plan, const Node& node) {
  const Shape& x = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  const int64_t in_features = x.back(), out_features = out.back();
  const int64_t rows = shape_numel(x) / std::max<int64_t>(in_features, 1);
  auto weights = std::make_shared<std::vector<float>>(node.constants[0].to_f32());
  const memory::desc w_desc({in_features, out_features}, kF32, memory::dims{1, in_features});
  const memory::desc x_desc({rows, in_features}, kF32, memory::format_tag::ab);
  const memory::desc y_desc({rows, out_features}, kF32, memory::format_tag::ab);
  const bool has_bias = node.constants.size() > 1 && node.constants[1].is_defined();
  const memory::desc b_desc = has_bias ? memory::desc({1, out_features}, kF32, memory::format_tag::ab) : memory::desc();
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_desc, w_desc, b_desc, y_desc), plan.engine());
  memory src = plan.input_as(node.inputs[0], plain_desc(x, kF32));
  plan.set_desc(node.output, plain_desc(out, kF32));
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, plan.view_of(src, x_desc)},
      {DNNL_ARG_WEIGHTS, memory(w_desc, plan.engine(), weights->data())},
      {DNNL_ARG_DST, plan.view_of(plan.memory_of(node.output), y_desc)}};
  if (has_bias) {
    memory bias(b_desc, plan.engine());
    const std::vector<float> values = node.constants[1].to_f32();
    std::copy(values.begin(), values.end(), static_cast<float*>(bias.get_data_handle()));
    args.emplace(DNNL_ARG_BIAS, bias);
  }
  plan.add_primitive(dnnl::matmul(pd), std::move(args));
  plan.keep_alive(weights);
  return Status::ok();
}

Status lower_matmul(ExecutionPlan& plan, const Node& node) {
  const Shape& a = plan.graph().shape(node.inputs[0]);
  const Shape& b = plan.graph().shape(node.inputs[1]);
  const Shape& out = plan.graph().shape(node.output);
  memory src = plan.input_as(node.inputs[0], plain_desc(a, kF32));
  memory weights = plan.input_as(node.inputs[1], plain_desc(b, kF32));
  plan.set_desc(node.output, plain_desc(out, kF32));
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src.get_desc(), weights.get_desc(), plain_desc(out, kF32)),
                                  plan.engine());
  plan.add_primitive(dnnl::matmul(pd),
                     {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

Status lower_softmax(ExecutionPlan& plan, const Node& node) {
  const Shape& x = plan.graph().shape(node.inputs[0]);
  const int axis = normalize_axis(std::get<SoftmaxAttrs>(node.attrs).axis, static_cast<int>(x.size()));
  memory src = plan.input_as(node.inputs[0], plain_desc(x, kF32));
  plan.set_desc(node.output, plain_desc(x, kF32));
  dnnl::softmax_forward::primitive_desc pd(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, src.get_desc(), axis), plan.engine());
  plan.add_primitive(dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, plan.memory_of(node.output)}});
  return Status::ok();
}

}  // namespace

bool pool_dense_runs_on_onednn(const Graph& graph, const Node& node) {
  PoolGeometry g;
  switch (node.kind) {
    case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: case OpKind::kGlobalAvgPool:
      return pool_geometry(graph, node, g);
    case OpKind::kMatmul: {  // oneDNN broadcasts batch dims only between equal ranks
      const Shape& a = graph.shape(node.inputs[0]);
      return a.size() >= 2 && a.size() == graph.shape(node.inputs[1]).size();
    }
    case OpKind::kLinear: case OpKind::kSoftmax:
      return true;
    default:
      return false;
  }
}

Status lower_pool_dense(ExecutionPlan& plan, const Node& node) {
  switch (node.kind) {
    case OpKind::kLinear: return lower_linear(plan, node);
    case OpKind::kMatmul: return lower_matmul(plan, node);
    case OpKind::kSoftmax: return lower_softmax(plan, node);
    default: return lower_pool(plan, node);
  }
}

}  // namespace upres::engine::cpu
