// The PyTorch-like builder methods of Graph: each packs its arguments into add_node().
#include <utility>

#include "engine/graph.h"

namespace upres::engine {

Value Graph::constant(Tensor tensor) {
  if (!tensor.is_defined()) return fail(invalid_argument("constant: undefined tensor"));
  return add_node(OpKind::kConstant, {}, {}, {std::move(tensor)});
}
Value Graph::conv2d(Value x, Tensor weight, Tensor bias, Conv2dAttrs attrs) {
  return add_node(OpKind::kConv2d, attrs, {x}, {std::move(weight), std::move(bias)});
}
Value Graph::conv_transpose2d(Value x, Tensor weight, Tensor bias, ConvTranspose2dAttrs attrs) {
  return add_node(OpKind::kConvTranspose2d, attrs, {x}, {std::move(weight), std::move(bias)});
}
Value Graph::relu(Value x) { return add_node(OpKind::kRelu, {}, {x}, {}); }
Value Graph::leaky_relu(Value x, float negative_slope) {
  return add_node(OpKind::kLeakyRelu, LeakyReluAttrs{negative_slope}, {x}, {});
}
Value Graph::prelu(Value x, Tensor slope) {
  return add_node(OpKind::kPrelu, {}, {x}, {std::move(slope)});
}
Value Graph::sigmoid(Value x) { return add_node(OpKind::kSigmoid, {}, {x}, {}); }
Value Graph::tanh(Value x) { return add_node(OpKind::kTanh, {}, {x}, {}); }
Value Graph::gelu(Value x, bool tanh_approximation) {
  return add_node(OpKind::kGelu, GeluAttrs{tanh_approximation}, {x}, {});
}
Value Graph::silu(Value x) { return add_node(OpKind::kSilu, {}, {x}, {}); }
Value Graph::mish(Value x) { return add_node(OpKind::kMish, {}, {x}, {}); }
Value Graph::add(Value a, Value b) { return add_node(OpKind::kAdd, {}, {a, b}, {}); }
Value Graph::mul(Value a, Value b) { return add_node(OpKind::kMul, {}, {a, b}, {}); }
Value Graph::scale(Value x, float scale, float shift) {
  return add_node(OpKind::kScale, ScaleAttrs{scale, shift}, {x}, {});
}
Value Graph::concat(const std::vector<Value>& xs, int axis) {
  return add_node(OpKind::kConcat, ConcatAttrs{axis, false}, xs, {});
}
Value Graph::slice(Value x, int axis, int64_t start, int64_t end) {
  return add_node(OpKind::kSlice, SliceAttrs{axis, start, end}, {x}, {});
}
Value Graph::resize(Value x, ResizeAttrs attrs) { return add_node(OpKind::kResize, attrs, {x}, {}); }
Value Graph::pixel_shuffle(Value x, int factor, ShuffleOrder order) {
  return add_node(OpKind::kPixelShuffle, PixelShuffleAttrs{factor, order}, {x}, {});
}
Value Graph::pixel_unshuffle(Value x, int factor, ShuffleOrder order) {
  return add_node(OpKind::kPixelUnshuffle, PixelShuffleAttrs{factor, order}, {x}, {});
}
Value Graph::pad(Value x, PadAttrs attrs) { return add_node(OpKind::kPad, attrs, {x}, {}); }
Value Graph::avg_pool2d(Value x, Pool2dAttrs attrs) {
  return add_node(OpKind::kAvgPool2d, attrs, {x}, {});
}
Value Graph::max_pool2d(Value x, Pool2dAttrs attrs) {
  return add_node(OpKind::kMaxPool2d, attrs, {x}, {});
}
Value Graph::global_avg_pool(Value x) { return add_node(OpKind::kGlobalAvgPool, {}, {x}, {}); }
Value Graph::linear(Value x, Tensor weight, Tensor bias) {
  return add_node(OpKind::kLinear, {}, {x}, {std::move(weight), std::move(bias)});
}
Value Graph::matmul(Value a, Value b) { return add_node(OpKind::kMatmul, {}, {a, b}, {}); }
Value Graph::layer_norm(Value x, Tensor weight, Tensor bias, LayerNormAttrs attrs) {
  return add_node(OpKind::kLayerNorm, attrs, {x}, {std::move(weight), std::move(bias)});
}
Value Graph::group_norm(Value x, Tensor weight, Tensor bias, GroupNormAttrs attrs) {
  return add_node(OpKind::kGroupNorm, attrs, {x}, {std::move(weight), std::move(bias)});
}
Value Graph::batch_norm(Value x, Tensor weight, Tensor bias, Tensor running_mean,
                        Tensor running_var, BatchNormAttrs attrs) {
  return add_node(OpKind::kBatchNorm, attrs, {x},
                  {std::move(weight), std::move(bias), std::move(running_mean), std::move(running_var)});
}
Value Graph::softmax(Value x, int axis) {
  return add_node(OpKind::kSoftmax, SoftmaxAttrs{axis}, {x}, {});
}

Value Graph::l2_normalize(Value x, float eps) {
  return add_node(OpKind::kL2Normalize, L2NormalizeAttrs{eps}, {x}, {});
}
Value Graph::permute(Value x, std::vector<int> dims) {
  return add_node(OpKind::kPermute, PermuteAttrs{std::move(dims)}, {x}, {});
}
Value Graph::reshape(Value x, Shape shape) {
  return add_node(OpKind::kReshape, ReshapeAttrs{std::move(shape)}, {x}, {});
}
Value Graph::rfft2(Value x) { return add_node(OpKind::kRfft2, {}, {x}, {}); }
Value Graph::irfft2(Value x, int64_t width) {
  return add_node(OpKind::kIrfft2, Irfft2Attrs{width}, {x}, {});
}
Value Graph::unary(Value x, UnaryAttrs attrs) { return add_node(OpKind::kUnary, attrs, {x}, {}); }
Value Graph::binary(Value a, Value b, BinaryOp op) {
  return add_node(OpKind::kBinary, BinaryAttrs{op}, {a, b}, {});
}
Value Graph::reduce(Value x, ReduceAttrs attrs) {
  return add_node(OpKind::kReduce, std::move(attrs), {x}, {});
}

}  // namespace upres::engine
