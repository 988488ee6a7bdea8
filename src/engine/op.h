// Per-op attribute structs and the OpAttrs variant a graph node carries. Field defaults follow
// PyTorch's defaults so model code reads like the module it ports. Plain values, thread-compatible.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "engine/op_kind.h"
#include "engine/tensor.h"

namespace upres::engine {

// A (height, width) pair that converts from one int, so `{.stride = 2}` and `{.padding = {0, 1}}`
// both read naturally.
struct Int2 {
  Int2(int both = 0) : h(both), w(both) {}  // NOLINT: implicit by design
  Int2(int height, int width) : h(height), w(width) {}
  int h;
  int w;
  bool operator==(const Int2&) const = default;
};

// Activations that can stand alone or be fused as a convolution post-op.
enum class Activation { kNone, kRelu, kLeakyRelu, kPrelu, kSigmoid, kTanh, kGelu, kSilu, kMish };

// Post-ops of a convolution, applied in this order to c = conv(x) + bias:
//   activation_after_residual == false:  y = residual_scale * act(c) + residual
//   activation_after_residual == true:   y = act(residual_scale * c + residual)
// `residual` is node input 1 and exists iff has_residual; it has the output's shape.
// kPrelu takes its slope from the node's constants[2] ([Cout] or [1]).
// oneDNN: eltwise_linear(residual_scale) then sum(1.0), with the eltwise before or after.
struct PostOps {
  Activation activation = Activation::kNone;
  float activation_alpha = 0.01f;  // leaky_relu negative slope
  bool has_residual = false;
  float residual_scale = 1.0f;
  bool activation_after_residual = false;
  bool operator==(const PostOps&) const = default;
};

struct Conv2dAttrs {  // torch.nn.functional.conv2d, zero padding
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 dilation = 1;
  int groups = 1;
  PostOps post;
};

struct ConvTranspose2dAttrs {  // torch.nn.functional.conv_transpose2d
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 output_padding = 0;
  Int2 dilation = 1;
  int groups = 1;
};

struct LeakyReluAttrs { float negative_slope = 0.01f; };
struct GeluAttrs { bool tanh_approximation = false; };    // approximate="none" | "tanh"
struct ScaleAttrs { float scale = 1.0f; float shift = 0.0f; };  // y = x * scale + shift

struct ConcatAttrs {
  int axis = 1;
  // Set by mark_in_place_concat (graph_passes.h): every input is a distinct conv2d output, so a
  // backend may let those convolutions write straight into channel slices of one buffer.
  bool in_place = false;
};

struct SliceAttrs {  // x.narrow(axis, start, end - start); negative start/end count from the end
  int axis = 1;
  int64_t start = 0;
  int64_t end = 0;
};

enum class ResizeMode { kNearest, kBilinear, kBicubic };
// F.interpolate on [N, C, H, W]. Give either a scale (output = floor(in * scale), and sampling
// uses 1/scale like PyTorch's default) or an output size (scale fields 0). nearest is PyTorch's
// legacy "nearest" (floor), bicubic uses A = -0.75 with clamped borders.
struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  float scale_h = 0.0f;
  float scale_w = 0.0f;
  int64_t out_h = 0;
  int64_t out_w = 0;
  bool align_corners = false;  // ignored for kNearest
};

// kPytorch: F.pixel_shuffle channel order c*r*r + i*r + j ("CRD").
// kDepthToSpace: ONNX DepthToSpace mode DCR, channel (i*r + j)*C + c.
enum class ShuffleOrder { kPytorch, kDepthToSpace };
struct PixelShuffleAttrs { int factor = 2; ShuffleOrder order = ShuffleOrder::kPytorch; };

enum class PadMode { kZero, kReflect, kReplicate };
struct PadAttrs {  // F.pad(x, (left, right, top, bottom), mode) on [N, C, H, W]
  int left = 0;
  int right = 0;
  int top = 0;
  int bottom = 0;
  PadMode mode = PadMode::kZero;
  float value = 0.0f;  // kZero only: constant fill
};

struct Pool2dAttrs {  // F.avg_pool2d / F.max_pool2d; stride 0 means "= kernel"
  Int2 kernel = 2;
  Int2 stride = 0;
  Int2 padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg only
};

struct LayerNormAttrs { int normalized_dims = 1; float eps = 1e-5f; };  // over the last dims
struct GroupNormAttrs { int groups = 1; float eps = 1e-5f; };
struct BatchNormAttrs { float eps = 1e-5f; };
struct SoftmaxAttrs { int axis = -1; };
struct L2NormalizeAttrs { float eps = 1e-12f; };  // over the last dim
struct PermuteAttrs { std::vector<int> dims; };  // x.permute(dims)
struct ReshapeAttrs { Shape shape; };            // x.reshape(shape); one -1 allowed
struct Irfft2Attrs { int64_t width = 0; };       // the output W (W/2+1 does not determine it)

// kUnary: y = f(x). kPow: x ** exponent; kClip: min(max(x, lo), hi).
enum class UnaryOp { kSqrt, kExp, kLog, kAbs, kErf, kSquare, kReciprocal, kPow, kClip };
struct UnaryAttrs {
  UnaryOp op = UnaryOp::kSqrt;
  float exponent = 1.0f;  // kPow
  float lo = 0.0f;        // kClip
  float hi = 0.0f;        // kClip
};
// kBinary: y = a op b with numpy broadcasting. add and mul keep their own kinds (the conv fusion
// passes match them).
enum class BinaryOp { kSub, kDiv, kMax, kMin };
struct BinaryAttrs { BinaryOp op = BinaryOp::kSub; };
// kReduce over `axes` (any order, negative counts from the end; empty = every axis). keepdims
// leaves each reduced axis as 1; without it they are removed, and a result with no axis left is
// [1] (the engine has no rank-0 values). kL2: sqrt(sum x^2); kSumSquare: sum x^2.
enum class ReduceOp { kSum, kMean, kMax, kMin, kL2, kSumSquare };
struct ReduceAttrs {
  ReduceOp op = ReduceOp::kSum;
  std::vector<int> axes;
  bool keepdims = true;
};

using OpAttrs = std::variant<std::monostate, Conv2dAttrs, ConvTranspose2dAttrs, LeakyReluAttrs,
                             GeluAttrs, ScaleAttrs, ConcatAttrs, SliceAttrs, ResizeAttrs,
                             PixelShuffleAttrs, PadAttrs, Pool2dAttrs, LayerNormAttrs,
                             GroupNormAttrs, BatchNormAttrs, SoftmaxAttrs, PermuteAttrs,
                             ReshapeAttrs, L2NormalizeAttrs, Irfft2Attrs, UnaryAttrs, BinaryAttrs,
                             ReduceAttrs>;

}  // namespace upres::engine
