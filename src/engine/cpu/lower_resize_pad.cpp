// Native resize and pad: a host step applies the node's SamplingGrid (PyTorch's sampling, shared
// with the reference kernels) to fp32 activations in the blocked activation layout (nChw16c,
// nChw8c) or plain, OpenMP over planes
// and rows. Replaces the single-threaded reference fallback and its blocked<->plain reorders; the
// step's state is immutable after lowering, so a plan's run() stays thread-compatible.
#include <cstring>
#include <memory>

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

template <int kLanes>
void sample_pixel(const AxisTaps& ty, const AxisTaps& tx, const float* src, int64_t in_w, float fill, float* dst) {
  if (ty.count == 1 && tx.count == 1) {
    if (ty.index[0] < 0 || tx.index[0] < 0) {
      for (int l = 0; l < kLanes; ++l) dst[l] = fill;
    } else {
      std::memcpy(dst, src + (ty.index[0] * in_w + tx.index[0]) * kLanes, kLanes * sizeof(float));
    }
    return;
  }
  float acc[kLanes] = {};
  for (int p = 0; p < ty.count; ++p) {
    for (int q = 0; q < tx.count; ++q) {
      const float w = static_cast<float>(ty.weight[p] * tx.weight[q]);
      const float* s = src + (ty.index[p] * in_w + tx.index[q]) * kLanes;
      for (int l = 0; l < kLanes; ++l) acc[l] += w * s[l];
    }
  }
  std::memcpy(dst, acc, kLanes * sizeof(float));
}

// Requires: every tap index is inside [in_h, in_w] or -1 (checked when the grid was made).
template <int kLanes>
void apply_grid(const SamplingGrid& grid, int64_t planes, const Shape& in, float fill, const float* src, float* dst) {
  const int64_t out_h = static_cast<int64_t>(grid.rows.size()), out_w = static_cast<int64_t>(grid.cols.size());
  const int64_t in_plane = in[2] * in[3] * kLanes, out_plane = out_h * out_w * kLanes;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < out_h; ++y) {
      const AxisTaps& ty = grid.rows[static_cast<size_t>(y)];
      float* row = dst + p * out_plane + y * out_w * kLanes;
      for (int64_t x = 0; x < out_w; ++x) {
        sample_pixel<kLanes>(ty, grid.cols[static_cast<size_t>(x)], src + p * in_plane, in[3], fill, row + x * kLanes);
      }
    }
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
  // Blocked input with whole channel blocks (no padded lanes for the fill to touch) stays blocked,
  // in fp32; anything else (channels-last included) is read as plain fp32.
  const ActivationLayout& activations = plan.activations();
  const memory::desc own = plan.storage(node.inputs[0]).desc;
  const bool blocked = activations.slices_densely(0, in[1]) && activations.holds(own, in);
  const int64_t lanes = blocked ? activations.channel_block() : 1;
  const PlaneLayout layout{in[0] * in[1] / lanes, lanes};
  const memory::data_type f32 = memory::data_type::f32;
  const memory src = plan.input_as(node.inputs[0], blocked ? activations.desc(in, f32) : plain_desc(in, f32));
  plan.set_desc(node.output, blocked ? activations.desc(out, f32) : plain_desc(out, f32));
  const memory dst = plan.memory_of(node.output);
  plan.add_host([grid, fill, layout, in, src, dst]() {
    const auto* s = static_cast<const float*>(src.get_data_handle());
    auto* d = static_cast<float*>(dst.get_data_handle());
    if (layout.lanes == 16) {
      apply_grid<16>(*grid, layout.planes, in, fill, s, d);
    } else if (layout.lanes == 8) {
      apply_grid<8>(*grid, layout.planes, in, fill, s, d);
    } else {
      apply_grid<1>(*grid, layout.planes, in, fill, s, d);
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
