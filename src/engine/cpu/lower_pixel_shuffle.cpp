// Native pixel shuffle and unshuffle, OpenMP over output rows, plain fp32 out. The shuffle reads
// an fp32 input where it lies, in the plan's blocked layout (nChw16c, nChw8c) or plain: SRVGGNetCompact's
// last conv output (48 channels at the tile's size) is not reordered to plain first, and each output
// row reads r source channels at offsets computed once per run (AnimeVideo's 256 px tail: 4.1 ms +
// a 0.7 ms reorder before). Unshuffle uses the reference kernel's index arithmetic (layout_ops.cpp)
// on plain fp32. Both replace the single-threaded fallback.
#include <vector>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

// Where the shuffle's input lies: channel c of image n at pixel (y, x) is element
// ((n * blocks + c / lanes) * H + y) * W * lanes + x * lanes + c % lanes (plain NCHW: lanes 1).
struct ChannelBlocks {
  int64_t lanes = 1;
  int64_t blocks = 0;  // per image
};

// out[n, c, y*r+i, x*r+j] = in[n, channel(c, i, j), y, x].
void shuffle_from(const PixelShuffleAttrs& a, const ChannelBlocks& in_layout, const Shape& in, const Shape& out,
                  const float* src, float* dst) {
  const int64_t r = a.factor, channels = out[1], h = in[2], w = in[3], lanes = in_layout.lanes;
  // Offset of source channel(c, i, j) within an image's row y, at [(c * r + i) * r + j].
  std::vector<int64_t> channel_offset(static_cast<size_t>(channels * r * r));
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < r; ++i) {
      for (int64_t j = 0; j < r; ++j) {
        const int64_t sc = a.order == ShuffleOrder::kPytorch ? c * r * r + i * r + j : (i * r + j) * channels + c;
        channel_offset[static_cast<size_t>((c * r + i) * r + j)] = sc / lanes * h * w * lanes + sc % lanes;
      }
    }
  }
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t n = 0; n < out[0]; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t y = 0; y < out[2]; ++y) {
        const float* source_row = src + (n * in_layout.blocks * h + y / r) * w * lanes;
        const int64_t* offsets = channel_offset.data() + (c * r + y % r) * r;
        float* row = dst + ((n * channels + c) * out[2] + y) * out[3];
        for (int64_t x = 0; x < w; ++x) {
          for (int64_t j = 0; j < r; ++j) row[x * r + j] = source_row[offsets[j] + x * lanes];
        }
      }
    }
  }
}

// in[n, channel(c, i, j), y, x] = out[n, c, y*r+i, x*r+j], plain NCHW both.
void unshuffle_rows(const PixelShuffleAttrs& a, const Shape& big, const Shape& small, const float* src, float* dst) {
  const int64_t r = a.factor, channels = big[1];
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t n = 0; n < big[0]; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t y = 0; y < big[2]; ++y) {
        const int64_t i = y % r;
        for (int64_t x = 0; x < big[3]; ++x) {
          const int64_t j = x % r;
          const int64_t sc = a.order == ShuffleOrder::kPytorch ? c * r * r + i * r + j : (i * r + j) * channels + c;
          const int64_t big_index = ((n * channels + c) * big[2] + y) * big[3] + x;
          const int64_t small_index = ((n * small[1] + sc) * small[2] + y / r) * small[3] + x / r;
          dst[small_index] = src[big_index];
        }
      }
    }
  }
}

}  // namespace

Status lower_pixel_shuffle(ExecutionPlan& plan, const Node& node) {
  const auto& attrs = std::get<PixelShuffleAttrs>(node.attrs);
  const Shape in = plan.graph().shape(node.inputs[0]);
  const Shape out = plan.graph().shape(node.output);
  const memory::data_type f32 = memory::data_type::f32;
  if (node.kind == OpKind::kPixelUnshuffle) {
    const memory src = plan.input_as(node.inputs[0], plain_desc(in, f32));
    plan.set_desc(node.output, plain_desc(out, f32));
    const memory dst = plan.memory_of(node.output);
    plan.add_host([attrs, in, out, src, dst]() {
      unshuffle_rows(attrs, in, out, static_cast<const float*>(src.get_data_handle()),
                     static_cast<float*>(dst.get_data_handle()));
      return Status::ok();
    });
    return Status::ok();
  }
  // An fp32 input in the blocked layout with whole channel blocks is read where it lies.
  const ActivationLayout& activations = plan.activations();
  const memory::desc own = plan.storage(node.inputs[0]).desc;
  const bool blocked =
      own.data_type() == f32 && activations.slices_densely(0, in[1]) && activations.holds(own, in);
  ChannelBlocks layout;
  layout.lanes = blocked ? activations.channel_block() : 1;
  layout.blocks = in[1] / layout.lanes;
  const memory src = plan.input_as(node.inputs[0], blocked ? own : plain_desc(in, f32));
  plan.set_desc(node.output, plain_desc(out, f32));
  const memory dst = plan.memory_of(node.output);
  plan.add_host([attrs, layout, in, out, src, dst]() {
    shuffle_from(attrs, layout, in, out, static_cast<const float*>(src.get_data_handle()),
                 static_cast<float*>(dst.get_data_handle()));
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
