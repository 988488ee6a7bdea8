// Lowering of conv2d and conv_transpose2d onto ConvPrimitive, with PostOps as oneDNN post-ops:
// act -> eltwise, residual_scale -> eltwise_linear (or folded into the weights), residual -> sum
// over the residual computed in dst's own bytes when nothing else reads it, else a binary add
// reading it where it lies (and where neither runs on a jit kernel, sum over a copy in dst).
// Winograd kernels come first where they take the conv: upres's own fp32 kernel on the AVX2 and
// AVX-512 classes (winograd_step.h), then oneDNN's (lower_as_winograd) where ours declines.
#include <algorithm>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "engine/cpu/conv_primitive.h"
#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/lowering.h"
#include "engine/cpu/winograd_step.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

// The oneDNN eltwise for an activation; false for kNone and kPrelu.
bool eltwise_for(Activation activation, float alpha, ConvPostOp& op) {
  op.kind = ConvPostOp::Kind::kEltwise;
  op.alpha = 0.0f;
  switch (activation) {
    case Activation::kRelu: op.algorithm = dnnl::algorithm::eltwise_relu; return true;
    case Activation::kLeakyRelu: op.algorithm = dnnl::algorithm::eltwise_relu; op.alpha = alpha; return true;
    case Activation::kSigmoid: op.algorithm = dnnl::algorithm::eltwise_logistic; return true;
    case Activation::kTanh: op.algorithm = dnnl::algorithm::eltwise_tanh; return true;
    case Activation::kGelu: op.algorithm = dnnl::algorithm::eltwise_gelu_erf; return true;
    case Activation::kSilu: op.algorithm = dnnl::algorithm::eltwise_swish; op.alpha = 1.0f; return true;
    case Activation::kMish: op.algorithm = dnnl::algorithm::eltwise_mish; return true;
    case Activation::kNone: case Activation::kPrelu: return false;
  }
  return false;
}

// Whether residual_scale can be folded into the weights and bias: s * act(c) = act(s * c) for
// s > 0 when act is positively homogeneous, and always when it applies before the activation.
// oneDNN 2.6's jit convolutions take a sum post-op only when no eltwise precedes it, so an
// eltwise_linear before the sum would send the convolution to the naive `ref` kernel.
bool folds_scale(const PostOps& post) {
  if (post.residual_scale == 1.0f) return false;
  if (post.activation_after_residual && post.has_residual) return true;
  const bool homogeneous = post.activation == Activation::kNone || post.activation == Activation::kRelu ||
                           post.activation == Activation::kLeakyRelu;
  return homogeneous && post.residual_scale > 0.0f;
}

// oneDNN post-ops for `post`; without its activation when !with_activation.
std::vector<ConvPostOp> post_ops_for(const PostOps& post, bool with_activation = true) {
  std::vector<ConvPostOp> ops;
  ConvPostOp act;
  const bool has_act = with_activation && eltwise_for(post.activation, post.activation_alpha, act);
  ConvPostOp linear{ConvPostOp::Kind::kEltwise, dnnl::algorithm::eltwise_linear, post.residual_scale, 0.0f};
  const bool has_scale = post.residual_scale != 1.0f && !folds_scale(post);
  if (post.has_residual && post.activation_after_residual) {
    if (has_scale) ops.push_back(linear);
    ops.push_back({ConvPostOp::Kind::kSum});
    if (has_act) ops.push_back(act);
  } else {
    if (has_act) ops.push_back(act);
    if (has_scale) ops.push_back(linear);
    if (post.has_residual) ops.push_back({ConvPostOp::Kind::kSum});
  }
  return ops;
}

// oneDNN 2.6's bf16 transposed convolutions below AMX (jit_bf16:avx512_core_bf16) run 3-4x slower
// than its fp32 ones: Real-CUGAN 2x at 256 px spent 271 ms in deconvolutions in bf16, 77 ms in
// fp32, which made its whole bf16 pass slower than fp32. A bf16 plan computes them in fp32 there
// (reorders convert on the way in and out).
memory::data_type compute_type_for(const ExecutionPlan& plan, const Node& node) {
  const bool transposed = node.kind == OpKind::kConvTranspose2d;
  if (transposed && plan.compute_type() == memory::data_type::bf16 && !has_amx_bf16()) return memory::data_type::f32;
  return plan.compute_type();
}

ConvSpec spec_for(const ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  ConvSpec spec;
  spec.batch = in[0];
  spec.in_channels = in[1];
  spec.in_height = in[2];
  spec.in_width = in[3];
  spec.out_channels = out[1];
  const Shape& w = node.constants[0].shape();
  spec.kernel_h = w[2];
  spec.kernel_w = w[3];
  spec.has_bias = node.constants.size() > 1 && node.constants[1].is_defined();
  spec.compute_type = compute_type_for(plan, node);
  spec.allow_winograd = plan.allows_winograd();
  if (const auto* a = std::get_if<Conv2dAttrs>(&node.attrs)) {
    spec.stride_h = a->stride.h, spec.stride_w = a->stride.w;
    spec.pad_top = spec.pad_bottom = a->padding.h;
    spec.pad_left = spec.pad_right = a->padding.w;
    spec.dilation_h = a->dilation.h, spec.dilation_w = a->dilation.w;
    spec.groups = a->groups;
    spec.post_ops = post_ops_for(a->post);
  } else if (const auto* t = std::get_if<ConvTranspose2dAttrs>(&node.attrs)) {
    spec.transposed = true;
    spec.stride_h = t->stride.h, spec.stride_w = t->stride.w;
    spec.pad_top = spec.pad_bottom = t->padding.h;
    spec.pad_left = spec.pad_right = t->padding.w;
    spec.dilation_h = t->dilation.h, spec.dilation_w = t->dilation.w;
    spec.output_padding_h = t->output_padding.h, spec.output_padding_w = t->output_padding.w;
    spec.groups = t->groups;
  }
  return spec;
}

// The conv's scratchpad as a temporary of the node (none when it needs none).
memory scratchpad_for(ExecutionPlan& plan, const ConvPrimitive& conv) {
  const memory::desc desc = conv.scratchpad_desc();
  return desc.get_size() > 0 ? plan.temp(desc) : memory();
}

bool is_ref_kernel(const ConvPrimitive& conv) { return std::string(conv.implementation()).rfind("ref", 0) == 0; }

// `spec` with its sum post-op (residual pre-copied into dst) replaced by a binary add of a
// tensor in layout `addend`, read from its own buffer.
ConvSpec with_binary_residual(ConvSpec spec, const memory::desc& addend) {
  for (ConvPostOp& op : spec.post_ops) {
    if (op.kind == ConvPostOp::Kind::kSum) op = ConvPostOp{.kind = ConvPostOp::Kind::kBinaryAdd, .addend = addend};
  }
  return spec;
}

// Whether the conv's residual can live in the output's bytes: nothing else reads it (not even
// the conv's own input), it is not a graph input or output, and it shares no buffer.
bool accumulates_in_place(const ExecutionPlan& plan, const Node& node) {
  const Graph& graph = plan.graph();
  const Value residual = node.inputs[1];
  if (graph.info(residual).producer < 0 || graph.use_counts()[static_cast<size_t>(residual.id)] != 1) return false;
  return !plan.is_aliased(residual) && !plan.has_aliases(residual);
}

// Lowers the conv onto oneDNN's Winograd kernel when it takes it, and answers whether it did. Those
// kernels take relu and sum post-ops only, so another activation (RRDBNet's leaky relu) runs after
// the conv as an eltwise in place, and a residual that others read too (a binary post-op elsewhere)
// is copied into dst for a sum. Both extra passes cost far less than Winograd saves (RRDBNet's
// dense-block convs: 1.4-1.8x at 128-256 px, 2 threads).
bool lower_as_winograd(ExecutionPlan& plan, const Node& node, const ConvSpec& spec, std::span<const float> weights,
                       std::span<const float> bias, const ConvLayout& layout) {
  const auto* attrs = std::get_if<Conv2dAttrs>(&node.attrs);
  if (attrs == nullptr || !spec.allow_winograd || !spec.may_run_winograd()) return false;
  const PostOps& post = attrs->post;
  const bool has_residual = node.inputs.size() > 1;
  ConvPostOp act;
  const bool act_after = eltwise_for(post.activation, post.activation_alpha, act) &&
                         !(post.activation == Activation::kRelu && post.activation_alpha == 0.0f);
  // act(c) + r cannot become (c + r) then act.
  if (act_after && has_residual && !post.activation_after_residual) return false;
  if (has_residual && plan.storage(node.inputs[1]).desc != *layout.dst) return false;
  ConvSpec winograd = spec;
  winograd.post_ops = post_ops_for(post, /*with_activation=*/!act_after);
  auto conv = ConvPrimitive::create(plan.engine(), winograd, weights, bias, layout);
  if (!conv.is_ok() || !conv->is_winograd()) return false;
  const bool in_place = has_residual && accumulates_in_place(plan, node);
  if (in_place) plan.share_storage(node.inputs[1], node.output);
  plan.set_desc(node.output, conv->dst_desc());
  memory src = plan.input_as(node.inputs[0], conv->src_desc());
  memory dst = plan.memory_of(node.output);
  if (has_residual && !in_place) plan.add_reorder(plan.memory_of(node.inputs[1]), dst);
  plan.add_primitive(conv->primitive(), conv->arguments(src, dst, memory(), scratchpad_for(plan, *conv)));
  if (act_after) {
    dnnl::eltwise_forward::primitive_desc pd(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, act.algorithm, conv->dst_desc(), act.alpha,
                                    act.beta),
        plan.engine());
    plan.add_primitive(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
  }
  return true;
}

// A conv constant's values as fp32: a view of the tensor's own storage where it holds fp32 (the
// usual case: the model's weights are not copied on their way to oneDNN's reorder), else converted
// into `converted`; with `scale` folded in (into `converted`) unless it is 1.
std::span<const float> f32_values(const Tensor& tensor, float scale, std::vector<float>& converted) {
  if (tensor.dtype() != DType::kF32 || tensor.layout() != Layout::kNchw) {
    converted = tensor.to_f32();
    for (float& value : converted) value *= scale;
    return converted;
  }
  const std::span<const float> values(tensor.f32(), static_cast<size_t>(tensor.numel()));
  if (scale == 1.0f) return values;
  converted.reserve(values.size());  // scaled as copied, not zero-filled first
  std::transform(values.begin(), values.end(), std::back_inserter(converted), [scale](float v) { return v * scale; });
  return converted;
}

bool has_prelu(const Node& node) {
  const auto* a = std::get_if<Conv2dAttrs>(&node.attrs);
  return a != nullptr && a->post.activation == Activation::kPrelu;
}

// oneDNN 2.6 has no prelu post-op: a conv whose fused prelu our Winograd kernel does not take runs
// as the conv without it, then oneDNN's prelu in place, then (for s * prelu(c) + r) the scale and
// the residual add in place. The same passes as before the fusion, none on a `ref` kernel.
Status lower_conv_then_prelu(ExecutionPlan& plan, const Node& node) {
  Node conv = node;
  PostOps& post = std::get<Conv2dAttrs>(conv.attrs).post;
  const PostOps fused = post;
  const bool residual_after = fused.has_residual && !fused.activation_after_residual;
  post.activation = Activation::kNone;
  if (residual_after) {  // prelu(c) first: the conv alone
    post = PostOps{};
    conv.inputs.resize(1);
  }
  conv.constants.resize(2);
  UPRES_RETURN_IF_ERROR(lower_conv(plan, conv));
  memory dst = plan.memory_of(node.output);
  const memory::desc dst_desc = plan.storage(node.output).desc;
  add_prelu(plan, dst, dst, plan.graph().shape(node.output), node.constants[2]);
  if (!residual_after) return Status::ok();
  if (fused.residual_scale != 1.0f) {
    dnnl::eltwise_forward::primitive_desc linear(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_linear, dst_desc,
                                    fused.residual_scale, 0.0f),
        plan.engine());
    plan.add_primitive(dnnl::eltwise_forward(linear), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
  }
  const memory residual = plan.input_as(node.inputs[1], dst_desc);
  dnnl::binary::primitive_desc add(dnnl::binary::desc(dnnl::algorithm::binary_add, dst_desc, dst_desc, dst_desc),
                                   plan.engine());
  plan.add_primitive(dnnl::binary(add), {{DNNL_ARG_SRC_0, dst}, {DNNL_ARG_SRC_1, residual}, {DNNL_ARG_DST, dst}});
  return Status::ok();
}

}  // namespace

bool conv_fills_concat_slice(const Node& node) { return !has_prelu(node); }

Status lower_conv(ExecutionPlan& plan, const Node& node) {
  const ConvSpec spec = spec_for(plan, node);
  const auto* conv_attrs = std::get_if<Conv2dAttrs>(&node.attrs);
  const bool scale_folded = conv_attrs != nullptr && folds_scale(conv_attrs->post);
  const float scale = scale_folded ? conv_attrs->post.residual_scale : 1.0f;
  std::vector<float> converted_weights, converted_bias;
  const std::span<const float> weights = f32_values(node.constants[0], scale, converted_weights);
  const std::span<const float> bias =
      spec.has_bias ? f32_values(node.constants[1], scale, converted_bias) : std::span<const float>();
  const memory::desc& in_desc = plan.storage(node.inputs[0]).desc;
  // Activations stay in the plan's layout end to end, so no reorders sit between convolutions; an
  // input in another layout (the network's plain RGB input) is reordered by input_as().
  ConvLayout layout;
  const Shape& out_shape = plan.graph().shape(node.output);
  layout.dst = plan.activation_desc(out_shape, spec.compute_type);
  if (in_desc == plan.activation_desc(plan.graph().shape(node.inputs[0]), spec.compute_type)) layout.src = in_desc;
  // fp32: our own Winograd kernel (winograd_step.h) first, oneDNN's where ours does not take the conv.
  if (lower_as_native_winograd(plan, node, spec, weights, bias, scale_folded)) return Status::ok();
  if (has_prelu(node)) return lower_conv_then_prelu(plan, node);
  if (lower_as_winograd(plan, node, spec, weights, bias, layout)) return Status::ok();
  const bool has_residual = node.inputs.size() > 1;
  if (has_residual && plan.storage(node.inputs[1]).desc == *layout.dst) {
    // A residual read by this conv alone is computed straight into the output's bytes and summed
    // there; one that others read is added from where it lies by a binary post-op. Neither copies.
    const bool in_place = accumulates_in_place(plan, node);
    auto conv = ConvPrimitive::create(plan.engine(), in_place ? spec : with_binary_residual(spec, *layout.dst),
                                      weights, bias, layout);
    if (conv.is_ok() && !is_ref_kernel(*conv)) {
      if (in_place) plan.share_storage(node.inputs[1], node.output);
      plan.set_desc(node.output, conv->dst_desc());
      memory src = plan.input_as(node.inputs[0], conv->src_desc());
      memory addend = in_place ? memory() : plan.memory_of(node.inputs[1]);
      plan.add_primitive(conv->primitive(),
                         conv->arguments(src, plan.memory_of(node.output), addend, scratchpad_for(plan, *conv)));
      return Status::ok();
    }
  }
  auto conv = ConvPrimitive::create(plan.engine(), spec, weights, bias, layout);
  if (!conv.is_ok()) return conv.status();
  // Shapes the jit kernels do not cover in this layout (e.g. groups of a few channels) would run on
  // oneDNN's naive `ref` kernel; let oneDNN choose both layouts instead, unless the output must
  // sit in a concat buffer.
  if (is_ref_kernel(*conv) && !plan.is_aliased(node.output)) {
    auto free_layout = ConvPrimitive::create(plan.engine(), spec, weights, bias, ConvLayout{});
    if (free_layout.is_ok()) conv = std::move(free_layout);
  }
  plan.set_desc(node.output, conv->dst_desc());
  memory src = plan.input_as(node.inputs[0], conv->src_desc());
  memory dst = plan.memory_of(node.output);
  if (has_residual) plan.add_reorder(plan.memory_of(node.inputs[1]), dst);  // sum post-op reads dst
  plan.add_primitive(conv->primitive(), conv->arguments(src, dst, memory(), scratchpad_for(plan, *conv)));
  return Status::ok();
}

}  // namespace upres::engine::cpu
