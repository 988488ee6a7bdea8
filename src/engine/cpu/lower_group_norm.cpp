// Native group norm: a host step over fp32 activations in the blocked activation layout (nChw16c,
// nChw8c) or plain, OpenMP over
// (plane, pixel chunk). Per-channel sums in double, combined per group, then one fused
// scale-and-shift pass (x * a_c + b_c). Replaces the single-threaded reference fallback and its
// blocked<->plain reorders. The step's state is immutable after lowering: thread-compatible.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

constexpr int64_t kChunkPixels = 4096;

// [planes, spatial, lanes]: plain NCHW is lanes 1 (a plane per channel), nChw16c lanes 16, nChw8c 8.
struct GroupNormForm {
  int64_t batch = 0, channels = 0, groups = 1, spatial = 0, lanes = 1;
  float eps = 1e-5f;
  std::vector<float> weight, bias;  // empty or one per channel
  int64_t planes() const { return batch * channels / lanes; }
  int64_t chunks() const { return (spatial + kChunkPixels - 1) / kChunkPixels; }
};

// sum[n * C + c] and sq[n * C + c]: sum and sum of squares of channel c of sample n.
template <int kLanes>
void channel_sums(const GroupNormForm& f, const float* x, std::vector<double>& sum, std::vector<double>& sq) {
  const int64_t planes = f.planes(), chunks = f.chunks();
  std::vector<double> part(static_cast<size_t>(planes * chunks * kLanes * 2));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t k = 0; k < chunks; ++k) {
      double s[kLanes] = {}, q[kLanes] = {};
      const int64_t end = std::min(f.spatial, (k + 1) * kChunkPixels);
      for (int64_t i = k * kChunkPixels; i < end; ++i) {
        const float* v = x + (p * f.spatial + i) * kLanes;
        for (int l = 0; l < kLanes; ++l) {
          s[l] += v[l];
          q[l] += static_cast<double>(v[l]) * v[l];
        }
      }
      double* out = part.data() + (p * chunks + k) * kLanes * 2;
      std::copy(s, s + kLanes, out);
      std::copy(q, q + kLanes, out + kLanes);
    }
  }
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t k = 0; k < chunks; ++k) {
      const double* in = part.data() + (p * chunks + k) * kLanes * 2;
      for (int l = 0; l < kLanes; ++l) {
        sum[static_cast<size_t>(p * kLanes + l)] += in[l];
        sq[static_cast<size_t>(p * kLanes + l)] += in[kLanes + l];
      }
    }
  }
}

// Per (sample, channel) scale a and shift b with y = x * a + b.
void group_affine(const GroupNormForm& f, const std::vector<double>& sum, const std::vector<double>& sq,
                  std::vector<float>& a, std::vector<float>& b) {
  const int64_t per_group = f.channels / f.groups;
  const double count = static_cast<double>(per_group * f.spatial);
  for (int64_t n = 0; n < f.batch; ++n) {
    for (int64_t g = 0; g < f.groups; ++g) {
      double s = 0.0, q = 0.0;
      const int64_t first = n * f.channels + g * per_group;
      for (int64_t c = first; c < first + per_group; ++c) {
        s += sum[static_cast<size_t>(c)];
        q += sq[static_cast<size_t>(c)];
      }
      const double mean = s / count;
      const double inv = 1.0 / std::sqrt(std::max(q / count - mean * mean, 0.0) + f.eps);
      for (int64_t c = first; c < first + per_group; ++c) {
        const size_t ch = static_cast<size_t>(c - n * f.channels);
        const double scale = inv * (f.weight.empty() ? 1.0 : f.weight[ch]);
        a[static_cast<size_t>(c)] = static_cast<float>(scale);
        b[static_cast<size_t>(c)] = static_cast<float>((f.bias.empty() ? 0.0 : f.bias[ch]) - mean * scale);
      }
    }
  }
}

template <int kLanes>
void scale_shift(const GroupNormForm& f, const float* x, const float* a, const float* b, float* y) {
  const int64_t planes = f.planes(), chunks = f.chunks();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t k = 0; k < chunks; ++k) {
      const float* pa = a + p * kLanes;
      const float* pb = b + p * kLanes;
      const int64_t end = std::min(f.spatial, (k + 1) * kChunkPixels);
      for (int64_t i = k * kChunkPixels; i < end; ++i) {
        const int64_t at = (p * f.spatial + i) * kLanes;
        for (int l = 0; l < kLanes; ++l) y[at + l] = x[at + l] * pa[l] + pb[l];
      }
    }
  }
}

template <int kLanes>
void group_norm(const GroupNormForm& f, const float* x, float* y) {
  const size_t values = static_cast<size_t>(f.batch * f.channels);
  std::vector<double> sum(values), sq(values);
  std::vector<float> a(values), b(values);
  channel_sums<kLanes>(f, x, sum, sq);
  group_affine(f, sum, sq, a, b);
  scale_shift<kLanes>(f, x, a.data(), b.data(), y);
}

}  // namespace

Status lower_group_norm(ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const auto& attrs = std::get<GroupNormAttrs>(node.attrs);
  auto form = std::make_shared<GroupNormForm>();
  form->batch = in[0];
  form->channels = in[1];
  form->groups = attrs.groups;
  form->spatial = in[2] * in[3];
  form->eps = attrs.eps;
  for (size_t k = 0; k < 2 && k < node.constants.size(); ++k) {
    if (!node.constants[k].is_defined()) continue;
    std::vector<float> values = node.constants[k].to_f32();
    if (static_cast<int64_t>(values.size()) != in[1]) {
      return invalid_argument("cpu: group_norm '" + node.name + "': " + (k == 0 ? "weight" : "bias") + " has " +
                              std::to_string(values.size()) + " values for " + std::to_string(in[1]) + " channels");
    }
    (k == 0 ? form->weight : form->bias) = std::move(values);
  }
  const ActivationLayout& activations = plan.activations();
  const memory::desc own = plan.storage(node.inputs[0]).desc;
  const bool blocked = activations.slices_densely(0, in[1]) && activations.holds(own, in);
  form->lanes = blocked ? activations.channel_block() : 1;
  const memory::data_type f32 = memory::data_type::f32;
  const memory src = plan.input_as(node.inputs[0], blocked ? activations.desc(in, f32) : plain_desc(in, f32));
  plan.set_desc(node.output, blocked ? activations.desc(in, f32) : plain_desc(in, f32));
  const memory dst = plan.memory_of(node.output);
  plan.add_host([form, src, dst]() {
    const auto* x = static_cast<const float*>(src.get_data_handle());
    auto* y = static_cast<float*>(dst.get_data_handle());
    if (form->lanes == 16) {
      group_norm<16>(*form, x, y);
    } else if (form->lanes == 8) {
      group_norm<8>(*form, x, y);
    } else {
      group_norm<1>(*form, x, y);
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
