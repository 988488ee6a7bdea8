// The reference backend's kernel table: one row per OpKind.
#include "engine/reference/kernel.h"

namespace upres::engine::reference {

Kernel find_kernel(OpKind kind) {
  switch (kind) {
    case OpKind::kConstant: return constant;
    case OpKind::kConv2d: return conv2d;
    case OpKind::kConvTranspose2d: return conv_transpose2d;
    case OpKind::kRelu: case OpKind::kLeakyRelu: case OpKind::kPrelu: case OpKind::kSigmoid:
    case OpKind::kTanh: case OpKind::kGelu: case OpKind::kSilu: case OpKind::kMish:
      return activation;
    case OpKind::kAdd: case OpKind::kMul: return binary;
    case OpKind::kScale: return scale;
    case OpKind::kConcat: return concat;
    case OpKind::kSlice: return slice;
    case OpKind::kResize: return resize;
    case OpKind::kPixelShuffle: case OpKind::kPixelUnshuffle: return pixel_shuffle;
    case OpKind::kPad: return pad;
    case OpKind::kPermute: return permute;
    case OpKind::kReshape: return reshape;
    case OpKind::kAvgPool2d: case OpKind::kMaxPool2d: return pool2d;
    case OpKind::kGlobalAvgPool: return global_avg_pool;
    case OpKind::kLinear: return linear;
    case OpKind::kMatmul: return matmul;
    case OpKind::kLayerNorm: return layer_norm;
    case OpKind::kGroupNorm: return group_norm;
    case OpKind::kBatchNorm: return batch_norm;
    case OpKind::kSoftmax: return softmax;
    case OpKind::kL2Normalize: return l2_normalize;
    case OpKind::kRfft2: return rfft2;
    case OpKind::kIrfft2: return irfft2;
    case OpKind::kUnary: return unary_math;
    case OpKind::kBinary: return binary_math;
    case OpKind::kReduce: return reduce;
  }
  return nullptr;
}

}  // namespace upres::engine::reference
