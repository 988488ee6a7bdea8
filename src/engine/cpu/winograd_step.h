// Lowering of a conv2d node onto WinogradConv (winograd_conv.h) as a native host step of the plan:
// on AVX2 CPU classes (oneDNN 2.6 has no Winograd kernel below AVX-512) and on AVX-512 ones (where
// it replaces oneDNN's jit_wino_4x3 for fp32 plans). Functions over a caller-owned plan;
// thread-compatible.
#pragma once

#include <optional>
#include <span>

#include "engine/cpu/conv_primitive.h"
#include "engine/cpu/execution_plan.h"
#include "engine/cpu/winograd_conv.h"

namespace upres::engine::cpu {

// The kernel convolutions take on a CPU class: `isa` (effective_isa()) AVX2 -> kAvx2, an AVX-512
// class -> kAvx512, where the CPU runs the kernel's instructions; nullopt otherwise.
std::optional<WinogradIsa> native_winograd_isa(dnnl::cpu_isa isa);

// The kernel the plan's convolutions may take: native_winograd_isa(effective_isa()) when the plan
// computes in fp32 on activations in that kernel's channel block (nChw8c / nChw16c).
std::optional<WinogradIsa> plan_native_winograd_isa(const ExecutionPlan& plan);

// Lowers the conv onto the native Winograd kernel when it qualifies (3x3, stride 1, dilation 1, one
// group, padding 0..2, 16+ channels in and out in multiples of the channel block, maps of 8+ px, no
// activation or relu / leaky relu, fp32, PrepareOptions::winograd on) and answers whether it did.
// weights and bias: PyTorch order, with the residual scale already folded in when scale_folded
// (lower_conv.cpp's folds_scale).
bool lower_as_native_winograd(ExecutionPlan& plan, const Node& node, const ConvSpec& spec,
                              std::span<const float> weights, std::span<const float> bias, bool scale_folded);

}  // namespace upres::engine::cpu
