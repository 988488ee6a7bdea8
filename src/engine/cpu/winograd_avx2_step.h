// Lowering of a conv2d node onto WinogradAvx2Conv as a native host step of the plan, where the CPU
// class is AVX2 (oneDNN 2.6 has no Winograd kernel below AVX-512; on AVX-512 its own stays).
// Functions over a caller-owned plan; thread-compatible.
#pragma once

#include <span>

#include "engine/cpu/conv_primitive.h"
#include "engine/cpu/execution_plan.h"

namespace upres::engine::cpu {

// Whether convolutions take the AVX2 Winograd kernel on this CPU class: `isa` (effective_isa())
// is AVX2 (AVX-512 classes keep oneDNN's Winograd) and the CPU runs AVX2 and FMA.
bool isa_uses_winograd_avx2(dnnl::cpu_isa isa);

// Whether the plan's convolutions may take the AVX2 Winograd kernel: the effective oneDNN ISA is
// AVX2 (not AVX-512), the CPU runs AVX2 and FMA, activations are fp32 nChw8c.
bool plan_uses_winograd_avx2(const ExecutionPlan& plan);

// Lowers the conv onto the AVX2 Winograd kernel when it qualifies (3x3, stride 1, dilation 1, one
// group, padding 0..2, 16+ channels in and out in multiples of 8, maps of 8+ px, no activation
// or relu / leaky relu, fp32, PrepareOptions::winograd on) and answers whether it did. weights
// and bias: PyTorch order, with the residual scale already folded in when scale_folded
// (lower_conv.cpp's folds_scale).
bool lower_as_winograd_avx2(ExecutionPlan& plan, const Node& node, const ConvSpec& spec,
                            std::span<const float> weights, std::span<const float> bias, bool scale_folded);

}  // namespace upres::engine::cpu
