// Native resize and pad: a host step applies the node's SamplingGrid (PyTorch's sampling, shared
// with the reference kernels) to activations in the blocked activation layout (nChw16c, nChw8c;
// fp32, or bf16 in a bf16 plan: read as fp32, summed in fp32, rounded once, so no reorders to fp32
// and back around the step) or plain fp32, OpenMP over planes and rows; 16-lane rows take an
// AVX-512 kernel where the CPU has it. Replaces the single-threaded reference fallback and its
// blocked<->plain reorders; the step's state is immutable after lowering, so a plan's run() stays
// thread-compatible.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/lowering.h"
#include "engine/reference/sampling_grid.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;
using reference::AxisTaps;
using reference::SamplingGrid;

// A [planes, H, W, lanes] view: plain NCHW is lanes 1, nChw16c is lanes 16 with planes N*C/16
// (nChw8c: 8, N*C/8).
struct PlaneLayout {
  int64_t planes = 0;
  int64_t lanes = 1;
};

// bf16 storage: the upper 16 bits of an fp32 (as oneDNN's bf16 tensors).
using Bf16 = uint16_t;

// One pixel's lanes as fp32. Whole-array loops (no per-element calls), so that they vectorize.
template <typename T, int kLanes>
inline void load_lanes(const T* src, float* out) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(out, src, kLanes * sizeof(float));
  } else {
#if defined(__SSE2__)
    if constexpr (kLanes % 4 == 0) {  // 4 lanes at a time: the widening does not auto-vectorize
      const __m128i zero = _mm_setzero_si128();
      for (int l = 0; l < kLanes; l += 4) {
        const __m128i half = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + l));
        _mm_storeu_ps(out + l, _mm_castsi128_ps(_mm_unpacklo_epi16(zero, half)));
      }
      return;
    }
#endif
    uint32_t words[kLanes];
    for (int l = 0; l < kLanes; ++l) words[l] = static_cast<uint32_t>(src[l]) << 16;
    std::memcpy(out, words, sizeof words);
  }
}

// Rounds to nearest even for bf16 (as oneDNN's conversion); NaN stays NaN.
template <typename T, int kLanes>
inline void store_lanes(const float* values, T* dst) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(dst, values, kLanes * sizeof(float));
  } else {
#if defined(__SSE2__)
    if constexpr (kLanes % 4 == 0) {
      const __m128i round_bias = _mm_set1_epi32(0x7fff), one = _mm_set1_epi32(1);
      const __m128i abs_mask = _mm_set1_epi32(0x7fffffff), inf = _mm_set1_epi32(0x7f800000);
      const __m128i quiet = _mm_set1_epi32(0x40);
      for (int l = 0; l < kLanes; l += 4) {
        const __m128i bits = _mm_castps_si128(_mm_loadu_ps(values + l));
        const __m128i odd = _mm_and_si128(_mm_srli_epi32(bits, 16), one);
        // Arithmetic shifts keep each result in int16 range, so the signed pack keeps its bits.
        const __m128i rounded = _mm_srai_epi32(_mm_add_epi32(bits, _mm_add_epi32(round_bias, odd)), 16);
        const __m128i nan = _mm_or_si128(_mm_srai_epi32(bits, 16), quiet);
        const __m128i is_nan = _mm_cmpgt_epi32(_mm_and_si128(bits, abs_mask), inf);
        const __m128i word = _mm_or_si128(_mm_and_si128(is_nan, nan), _mm_andnot_si128(is_nan, rounded));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + l), _mm_packs_epi32(word, word));
      }
      return;
    }
#endif
    uint32_t bits[kLanes];
    std::memcpy(bits, values, sizeof bits);
    for (int l = 0; l < kLanes; ++l) {
      const uint32_t rounded = (bits[l] + 0x7fffu + ((bits[l] >> 16) & 1u)) >> 16;
      const uint32_t nan = (bits[l] >> 16) | 0x40u;
      dst[l] = static_cast<T>((bits[l] & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
    }
  }
}

template <typename T, int kLanes>
void sample_pixel(const AxisTaps& ty, const AxisTaps& tx, const T* src, int64_t in_w, T fill, T* dst) {
  if (ty.count == 1 && tx.count == 1) {
    if (ty.index[0] < 0 || tx.index[0] < 0) {
      for (int l = 0; l < kLanes; ++l) dst[l] = fill;
    } else {
      std::memcpy(dst, src + (ty.index[0] * in_w + tx.index[0]) * kLanes, kLanes * sizeof(T));
    }
    return;
  }
  float acc[kLanes] = {};
  float tap[kLanes];
  for (int p = 0; p < ty.count; ++p) {
    for (int q = 0; q < tx.count; ++q) {
      const float w = static_cast<float>(ty.weight[p] * tx.weight[q]);
      load_lanes<T, kLanes>(src + (ty.index[p] * in_w + tx.index[q]) * kLanes, tap);
      for (int l = 0; l < kLanes; ++l) acc[l] += w * tap[l];
    }
  }
  store_lanes<T, kLanes>(acc, dst);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define UPRES_RESIZE_AVX512 1
// GCC 12's avx512fintrin.h self-initialises its undefined vectors, which -Wmaybe-uninitialized
// reports once inlined here; nothing of ours is uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// One output row of 16-lane pixels with AVX-512 (the build targets baseline x86-64: SSE2 would
// take four vectors per pixel): the same sums in the same order as sample_pixel, one vector per tap.
template <typename T>
__attribute__((target("avx512f"))) void sample_row16_avx512(const AxisTaps& ty, const std::vector<AxisTaps>& cols,
                                                             const T* src, int64_t in_w, T fill, T* row) {
  for (size_t x = 0; x < cols.size(); ++x) {
    const AxisTaps& tx = cols[x];
    T* dst = row + x * 16;
    if (ty.count == 1 && tx.count == 1) {
      sample_pixel<T, 16>(ty, tx, src, in_w, fill, dst);
      continue;
    }
    __m512 acc = _mm512_setzero_ps();
    for (int p = 0; p < ty.count; ++p) {
      for (int q = 0; q < tx.count; ++q) {
        const __m512 w = _mm512_set1_ps(static_cast<float>(ty.weight[p] * tx.weight[q]));
        const T* s = src + (ty.index[p] * in_w + tx.index[q]) * 16;
        __m512 tap;
        if constexpr (std::is_same_v<T, float>) {
          tap = _mm512_loadu_ps(s);
        } else {
          const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)));
          tap = _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
        }
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w, tap));
      }
    }
    if constexpr (std::is_same_v<T, float>) {
      _mm512_storeu_ps(dst, acc);
    } else {  // round to nearest even; NaN stays NaN (as store_lanes)
      const __m512i bits = _mm512_castps_si512(acc);
      const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
      __m512i word = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd)), 16);
      const __mmask16 nan = _mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q);
      word = _mm512_mask_blend_epi32(nan, word, _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtepi32_epi16(word));
    }
  }
}
#pragma GCC diagnostic pop
#endif

// Requires: every tap index is inside [in_h, in_w] or -1 (checked when the grid was made);
// avx512 only where the CPU has AVX-512F.
// nearest_cols: every column's one tap (-1: the fill) when every column has one tap, else empty.
template <typename T, int kLanes>
void apply_grid(const SamplingGrid& grid, const std::vector<int64_t>& nearest_cols, int64_t planes, const Shape& in,
                T fill, const T* src, T* dst, bool avx512) {
  const int64_t out_h = static_cast<int64_t>(grid.rows.size()), out_w = static_cast<int64_t>(grid.cols.size());
  const int64_t in_plane = in[2] * in[3] * kLanes, out_plane = out_h * out_w * kLanes;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < out_h; ++y) {
      const AxisTaps& ty = grid.rows[static_cast<size_t>(y)];
      T* row = dst + p * out_plane + y * out_w * kLanes;
#if defined(UPRES_RESIZE_AVX512)
      if (kLanes == 16 && avx512) {
        sample_row16_avx512<T>(ty, grid.cols, src + p * in_plane, in[3], fill, row);
        continue;
      }
#endif
      // Plain nearest rows (SRVGGNetCompact's upsampled RGB input): a gather, not a call per pixel.
      if (kLanes == 1 && ty.count == 1 && !nearest_cols.empty()) {
        const T* source_row = ty.index[0] < 0 ? nullptr : src + p * in_plane + ty.index[0] * in[3];
        for (int64_t x = 0; x < out_w; ++x) {
          const int64_t at = nearest_cols[static_cast<size_t>(x)];
          row[x] = source_row == nullptr || at < 0 ? fill : source_row[at];
        }
        continue;
      }
      for (int64_t x = 0; x < out_w; ++x) {
        sample_pixel<T, kLanes>(ty, grid.cols[static_cast<size_t>(x)], src + p * in_plane, in[3], fill, row + x * kLanes);
      }
    }
  }
}

// One plan step's run: the grid over `layout`'s planes, elements of type T.
template <typename T>
void run_grid(const SamplingGrid& grid, const std::vector<int64_t>& nearest_cols, const PlaneLayout& layout,
              const Shape& in, float fill, const void* src, void* dst, bool avx512) {
  const auto* s = static_cast<const T*>(src);
  auto* d = static_cast<T*>(dst);
  T fill_value;
  store_lanes<T, 1>(&fill, &fill_value);
  if (layout.lanes == 16) {
    apply_grid<T, 16>(grid, nearest_cols, layout.planes, in, fill_value, s, d, avx512);
  } else if (layout.lanes == 8) {
    apply_grid<T, 8>(grid, nearest_cols, layout.planes, in, fill_value, s, d, avx512);
  } else {
    apply_grid<T, 1>(grid, nearest_cols, layout.planes, in, fill_value, s, d, avx512);
  }
}

Result<SamplingGrid> grid_of(const Node& node, const Shape& in, const Shape& out, float* fill) {
  *fill = 0.0f;
  if (const auto* resize = std::get_if<ResizeAttrs>(&node.attrs)) return reference::resize_grid(*resize, in, out);
  if (const auto* pad = std::get_if<PadAttrs>(&node.attrs)) {
    *fill = pad->mode == PadMode::kZero ? pad->value : 0.0f;
    return reference::pad_grid(*pad, in, out);
  }
  return invalid_argument("cpu: " + std::string(op_kind_name(node.kind)) + " '" + node.name + "': no sampling grid");
}

}  // namespace

Status lower_resize_pad(ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  float fill = 0.0f;
  UPRES_ASSIGN_OR_RETURN(SamplingGrid sampling, grid_of(node, in, out, &fill));
  auto grid = std::make_shared<const SamplingGrid>(std::move(sampling));
  auto nearest_cols = std::make_shared<std::vector<int64_t>>();
  if (std::all_of(grid->cols.begin(), grid->cols.end(), [](const AxisTaps& c) { return c.count == 1; })) {
    for (const AxisTaps& column : grid->cols) nearest_cols->push_back(column.index[0]);
  }
  // Blocked input with whole channel blocks (no padded lanes for the fill to touch) stays blocked,
  // in fp32, or in bf16 when it is bf16 (a bf16 plan: no reorders around the step); anything else
  // (channels-last included) is read as plain fp32.
  const ActivationLayout& activations = plan.activations();
  const memory::desc own = plan.storage(node.inputs[0]).desc;
  const bool blocked = activations.slices_densely(0, in[1]) && activations.holds(own, in);
  const bool bf16 = blocked && own.data_type() == memory::data_type::bf16;
  const int64_t lanes = blocked ? activations.channel_block() : 1;
  const PlaneLayout layout{in[0] * in[1] / lanes, lanes};
  const memory::data_type type = bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  const memory src = plan.input_as(node.inputs[0], blocked ? activations.desc(in, type) : plain_desc(in, type));
  plan.set_desc(node.output, blocked ? activations.desc(out, type) : plain_desc(out, type));
  const memory dst = plan.memory_of(node.output);
  // 16-lane blocks are the AVX-512 classes' layout; the AVX-512 row kernel only where the CPU has it.
  bool avx512 = false;
#if defined(UPRES_RESIZE_AVX512)
  avx512 = lanes == 16 && is_avx512_core_class(effective_isa()) && __builtin_cpu_supports("avx512f");
#endif
  plan.add_host([grid, nearest_cols, fill, layout, in, bf16, avx512, src, dst]() {
    if (bf16) {
      run_grid<Bf16>(*grid, *nearest_cols, layout, in, fill, src.get_data_handle(), dst.get_data_handle(), avx512);
    } else {
      run_grid<float>(*grid, *nearest_cols, layout, in, fill, src.get_data_handle(), dst.get_data_handle(), avx512);
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
