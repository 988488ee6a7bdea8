// The native Winograd convolution as a step of the cpu plan: qualification, the kernel's weights
// transformed once here, and a host step reading src (and the residual) where they lie in the
// blocked activation layout and writing the output in place (a concat slice included).
#include "engine/cpu/winograd_step.h"

#include <memory>

#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/winograd_weight_memory.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

// No channel limit: with the interpolation points of winograd_conv.cpp the wide convs'
// fp32 error stays near the direct kernel's (CodeFormer's mean against fp64: 1.4e-6 with every conv
// here, 1.2e-6 direct), and 128- to 512-channel convs ran 2.1-7.9x faster than jit:avx2.

const float* floats_of(const memory& m) { return static_cast<const float*>(m.get_data_handle()); }

}  // namespace

std::optional<WinogradIsa> native_winograd_isa(dnnl::cpu_isa isa) {
  std::optional<WinogradIsa> kernel;
  if (isa == dnnl::cpu_isa::avx2 || isa == dnnl::cpu_isa::avx2_vnni) kernel = WinogradIsa::kAvx2;
  if (is_avx512_core_class(isa)) kernel = WinogradIsa::kAvx512;
  if (kernel && !cpu_runs_winograd(*kernel)) kernel.reset();
  return kernel;
}

std::optional<WinogradIsa> plan_native_winograd_isa(const ExecutionPlan& plan) {
  const std::optional<WinogradIsa> kernel = native_winograd_isa(effective_isa());
  if (!kernel || plan.compute_type() != memory::data_type::f32 ||
      plan.activations().channel_block() != winograd_channel_block(*kernel)) {
    return std::nullopt;
  }
  return kernel;
}

bool lower_as_native_winograd(ExecutionPlan& plan, const Node& node, const ConvSpec& spec,
                              std::span<const float> weights, std::span<const float> bias, bool scale_folded) {
  const auto* attrs = std::get_if<Conv2dAttrs>(&node.attrs);
  if (attrs == nullptr || !spec.allow_winograd) return false;
  const std::optional<WinogradIsa> isa = plan_native_winograd_isa(plan);
  if (!isa) return false;
  if (spec.transposed || spec.kernel_h != 3 || spec.kernel_w != 3 || spec.stride_h != 1 || spec.stride_w != 1 ||
      spec.dilation_h != 1 || spec.dilation_w != 1 || spec.groups != 1 || spec.pad_top != spec.pad_left ||
      spec.pad_top != spec.pad_bottom || spec.pad_left != spec.pad_right) {
    return false;
  }
  const PostOps& post = attrs->post;
  if (!winograd_takes(post.activation)) return false;
  WinogradShape shape;
  shape.batch = spec.batch;
  shape.in_channels = spec.in_channels;
  shape.out_channels = spec.out_channels;
  shape.in_height = spec.in_height;
  shape.in_width = spec.in_width;
  shape.pad = spec.pad_top;
  if (!winograd_takes(shape, *isa) ||
      !winograd_weights_pay(shape.in_channels, shape.out_channels, shape.out_height(), shape.out_width())) {
    return false;
  }
  const bool has_residual = node.inputs.size() > 1;
  WinogradEpilogue epilogue;
  epilogue.activation = post.activation;
  epilogue.alpha = post.activation == Activation::kLeakyRelu ? post.activation_alpha : 0.0f;
  if (post.activation == Activation::kPrelu) {
    if (node.constants.size() < 3) return false;
    epilogue.prelu_slopes = node.constants[2].to_f32();
  }
  epilogue.scale = scale_folded ? 1.0f : post.residual_scale;
  epilogue.has_residual = has_residual;
  epilogue.activation_after_residual = post.activation_after_residual;
  auto conv = WinogradConv::create(*isa, shape, epilogue, weights, spec.has_bias ? bias : std::span<const float>());
  if (!conv.is_ok()) return false;
  auto kernel = std::make_shared<const WinogradConv>(std::move(conv).value());

  const Graph& graph = plan.graph();
  const memory::data_type f32 = memory::data_type::f32;
  const memory::desc out_desc = plan.activation_desc(graph.shape(node.output), f32);
  const memory src = plan.input_as(node.inputs[0], plan.activation_desc(graph.shape(node.inputs[0]), f32));
  const memory residual = has_residual ? plan.input_as(node.inputs[1], out_desc) : memory();
  plan.set_desc(node.output, out_desc);
  const memory dst = plan.memory_of(node.output);
  plan.add_host([kernel, src, residual, dst]() {
    kernel->run(floats_of(src), residual ? floats_of(residual) : nullptr, static_cast<float*>(dst.get_data_handle()));
    return Status::ok();
  });
  return true;
}

}  // namespace upres::engine::cpu
