// ActivationLayout: the per-CPU choice and the descriptors it implies.
#include "engine/cpu/activation_layout.h"

#include "engine/cpu/cpu_isa.h"

namespace upres::engine::cpu {

using dnnl::memory;

ActivationLayout ActivationLayout::choose(dnnl::cpu_isa isa, memory::data_type compute, CpuLayout choice) {
  switch (choice) {
    case CpuLayout::kBlocked8: return blocked(8);
    case CpuLayout::kBlocked16: return blocked(16);
    case CpuLayout::kChannelsLast: return channels_last();
    case CpuLayout::kAuto: break;
  }
  // bf16 on AMX: only the brgemm kernels use the tiles, and they take NHWC (on a Xeon, blocked bf16
  // ran the avx512_core_bf16 kernels 5x slower). fp32 there keeps nChw16c for the Winograd kernels.
  if (isa == dnnl::cpu_isa::avx512_core_amx && compute == memory::data_type::bf16) return channels_last();
  return blocked(is_avx512_core_class(isa) ? 16 : 8);
}

memory::desc ActivationLayout::desc(const Shape& shape, memory::data_type type) const {
  const memory::dims dims(shape.begin(), shape.end());
  if (channel_block_ == 16) return memory::desc(dims, type, memory::format_tag::nChw16c);
  if (channel_block_ == 8) return memory::desc(dims, type, memory::format_tag::nChw8c);
  return memory::desc(dims, type, memory::format_tag::nhwc);
}

bool ActivationLayout::holds(const memory::desc& d, const Shape& shape) const {
  return shape.size() == 4 && d == desc(shape, d.data_type());
}

std::string ActivationLayout::name() const {
  if (channel_block_ == 0) return "nhwc";
  return "nChw" + std::to_string(channel_block_) + "c";
}

}  // namespace upres::engine::cpu
