// OpKind: the one list of operations every backend implements (STYLE habit 2). Adding an op means
// adding it here, its attributes in op.h, its shape rule in shape_inference.cpp, a builder method
// in graph.h, and a kernel per backend; the all-backends test then covers it. Plain enum, thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace upres::engine {

enum class OpKind {
  kConstant,         // constants[0] as a value. No inputs.
  // Convolutions. Inputs: [x] or [x, residual] when post-ops name a residual.
  kConv2d,           // constants: [weight [Cout, Cin/groups, kh, kw], bias [Cout] (may be undefined)]
  kConvTranspose2d,  // constants: [weight [Cin, Cout/groups, kh, kw], bias [Cout] (may be undefined)]
  // Elementwise activations, one input.
  kRelu,
  kLeakyRelu,
  kPrelu,            // constants: [slope [C] or [1]], channel axis 1
  kSigmoid,
  kTanh,
  kGelu,
  kSilu,
  // Binary elementwise with numpy/PyTorch broadcasting. Inputs: [a, b].
  kAdd,
  kMul,
  kScale,            // one input: y = x * scale + shift
  // Channel (or any axis) data movement.
  kConcat,           // inputs: [x0, x1, ...]
  kSlice,
  kResize,
  kPixelShuffle,
  kPixelUnshuffle,
  kPad,
  kPermute,
  kReshape,
  // Pooling.
  kAvgPool2d,
  kMaxPool2d,
  kGlobalAvgPool,    // [N, C, H, W] -> [N, C, 1, 1]
  // Dense algebra.
  kLinear,           // constants: [weight [out, in], bias [out] (may be undefined)]; x [..., in]
  kMatmul,           // inputs: [a [..., M, K], b [..., K, N]], batch dims broadcast
  // Normalization (inference mode).
  kLayerNorm,        // constants: [weight, bias] over the last normalized dims (either may be undefined)
  kGroupNorm,        // constants: [weight [C], bias [C]] (either may be undefined)
  kBatchNorm,        // constants: [weight [C], bias [C], running_mean [C], running_var [C]]
  kSoftmax,
  kL2Normalize,      // F.normalize(x, p=2, dim=-1, eps): x / max(||x||_2, eps) over the last dim
  kMish,             // x * tanh(softplus(x)), one input (RealPLKSR)
  // Spectral (LaMa's FourierUnit), over the last two dims of [N, C, H, W], norm="ortho".
  kRfft2,            // [N, C, H, W] -> [N, 2C, H, W/2+1]: channel 2c = real, 2c+1 = imag of channel c
  kIrfft2,           // [N, 2C, H, W/2+1] -> [N, C, H, W] (W from Irfft2Attrs), the inverse layout
  // Math for imported graphs (ONNX), one kind per family with the function in its attributes.
  kUnary,            // one input, UnaryAttrs: sqrt, exp, log, abs, erf, square, reciprocal, pow, clip
  kBinary,           // inputs [a, b] broadcast like add/mul, BinaryAttrs: sub, div, max, min
  kReduce,           // one input, ReduceAttrs: sum, mean, max, min, l2, sum of squares over axes
};

inline constexpr int kOpKindCount = static_cast<int>(OpKind::kReduce) + 1;

// "conv2d", "leaky_relu", ... (the PyTorch function name where there is one).
std::string_view op_kind_name(OpKind kind);
std::optional<OpKind> op_kind_from_name(std::string_view name);

}  // namespace upres::engine
