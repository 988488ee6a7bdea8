// Native pixel shuffle and unshuffle: plain fp32 in and out, OpenMP over output rows, the index
// arithmetic of the reference kernel (layout_ops.cpp). Replaces the single-threaded fallback,
// which sat on the full-size output of every SRVGGNetCompact and ncnn upsampler.
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

// out[n, c, y*r+i, x*r+j] = in[n, channel(c, i, j), y, x] (shuffle); unshuffle is the inverse.
void shuffle_rows(const PixelShuffleAttrs& a, bool shuffle, const Shape& big, const Shape& small,
                  const float* src, float* dst) {
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
          if (shuffle) {
            dst[big_index] = src[small_index];
          } else {
            dst[small_index] = src[big_index];
          }
        }
      }
    }
  }
}

}  // namespace

Status lower_pixel_shuffle(ExecutionPlan& plan, const Node& node) {
  const auto& attrs = std::get<PixelShuffleAttrs>(node.attrs);
  const bool shuffle = node.kind == OpKind::kPixelShuffle;
  const Shape in = plan.graph().shape(node.inputs[0]);
  const Shape out = plan.graph().shape(node.output);
  const memory::data_type f32 = memory::data_type::f32;
  const memory src = plan.input_as(node.inputs[0], plain_desc(in, f32));
  plan.set_desc(node.output, plain_desc(out, f32));
  const memory dst = plan.memory_of(node.output);
  const Shape big = shuffle ? out : in, small = shuffle ? in : out;
  plan.add_host([attrs, shuffle, big, small, src, dst]() {
    shuffle_rows(attrs, shuffle, big, small, static_cast<const float*>(src.get_data_handle()),
                 static_cast<float*>(dst.get_data_handle()));
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
