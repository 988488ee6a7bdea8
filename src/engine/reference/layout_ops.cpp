// Reference data-movement kernels: concat, slice, permute, reshape, pixel (un)shuffle, pad.
#include <algorithm>
#include <cstring>

#include "engine/reference/kernel.h"
#include "engine/reference/sampling_grid.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

int64_t product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

}  // namespace

Status concat(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ConcatAttrs* a, attrs_of<ConcatAttrs>(args.node));
  const Shape& out = args.output_shape;
  const size_t axis = static_cast<size_t>(normalize_axis(a->axis, static_cast<int>(out.size())));
  const int64_t outer = product(out, 0, axis), inner = product(out, axis + 1, out.size());
  int64_t offset = 0;  // along axis
  for (size_t k = 0; k < args.inputs.size(); ++k) {
    const int64_t block = args.input_shapes[k][axis] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(args.output + o * out[axis] * inner + offset * inner, args.inputs[k] + o * block,
                  static_cast<size_t>(block) * sizeof(float));
    }
    offset += args.input_shapes[k][axis];
  }
  return Status::ok();
}

Status slice(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const SliceAttrs* a, attrs_of<SliceAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const size_t axis = static_cast<size_t>(normalize_axis(a->axis, static_cast<int>(in.size())));
  const SliceRange range = resolve_slice(*a, in[axis]);
  const int64_t outer = product(in, 0, axis), inner = product(in, axis + 1, in.size());
  const int64_t block = (range.end - range.start) * inner;
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(args.output + o * block, args.inputs[0] + (o * in[axis] + range.start) * inner,
                static_cast<size_t>(block) * sizeof(float));
  }
  return Status::ok();
}

Status permute(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const PermuteAttrs* a, attrs_of<PermuteAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const Shape& out = args.output_shape;
  const int rank = static_cast<int>(in.size());
  std::vector<int64_t> in_strides(in.size(), 1);
  for (int k = rank - 2; k >= 0; --k) in_strides[k] = in_strides[k + 1] * in[k + 1];
  std::vector<int64_t> strides(out.size());  // input stride of each output axis
  for (int k = 0; k < rank; ++k) strides[k] = in_strides[normalize_axis(a->dims[k], rank)];
  const int64_t count = shape_numel(out);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, source = 0;
    for (int k = rank - 1; k >= 0; --k) {
      source += (rest % out[k]) * strides[k];
      rest /= out[k];
    }
    args.output[i] = args.inputs[0][source];
  }
  return Status::ok();
}

Status reshape(const KernelArgs& args) {
  std::memcpy(args.output, args.inputs[0], static_cast<size_t>(shape_numel(args.output_shape)) * sizeof(float));
  return Status::ok();
}

// Shuffle: out[n, c, h*r+i, w*r+j] = in[n, channel(c, i, j), h, w]; unshuffle is the inverse.
Status pixel_shuffle(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const PixelShuffleAttrs* a, attrs_of<PixelShuffleAttrs>(args.node));
  const bool shuffle = args.node.kind == OpKind::kPixelShuffle;
  const Shape& big = shuffle ? args.output_shape : args.input_shapes[0];     // [N, C, H*r, W*r]
  const Shape& small = shuffle ? args.input_shapes[0] : args.output_shape;  // [N, C*r*r, H, W]
  const int64_t r = a->factor, channels = big[1];
  for (int64_t n = 0; n < big[0]; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t y = 0; y < big[2]; ++y) {
        for (int64_t x = 0; x < big[3]; ++x) {
          const int64_t i = y % r, j = x % r;
          const int64_t sc = a->order == ShuffleOrder::kPytorch ? c * r * r + i * r + j : (i * r + j) * channels + c;
          const int64_t big_index = ((n * channels + c) * big[2] + y) * big[3] + x;
          const int64_t small_index = ((n * small[1] + sc) * small[2] + y / r) * small[3] + x / r;
          if (shuffle) {
            args.output[big_index] = args.inputs[0][small_index];
          } else {
            args.output[small_index] = args.inputs[0][big_index];
          }
        }
      }
    }
  }
  return Status::ok();
}

Status pad(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const PadAttrs* a, attrs_of<PadAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const Shape& out = args.output_shape;
  UPRES_ASSIGN_OR_RETURN(const SamplingGrid grid, pad_grid(*a, in, out));  // one tap per row, column
  for (int64_t plane = 0; plane < out[0] * out[1]; ++plane) {
    const float* src = args.inputs[0] + plane * in[2] * in[3];
    float* dst = args.output + plane * out[2] * out[3];
    for (int64_t y = 0; y < out[2]; ++y) {
      const int64_t sy = grid.rows[static_cast<size_t>(y)].index[0];
      for (int64_t x = 0; x < out[3]; ++x) {
        const int64_t sx = grid.cols[static_cast<size_t>(x)].index[0];
        dst[y * out[3] + x] = sy < 0 || sx < 0 ? a->value : src[sy * in[3] + sx];
      }
    }
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
