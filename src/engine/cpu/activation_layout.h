// ActivationLayout: the memory layout activations keep between ops on this CPU, chosen per oneDNN
// ISA class and compute type so that convolutions and the ops between them reach oneDNN's jit
// kernels: nChw16c on AVX-512, nChw8c on AVX2 and older (oneDNN has no AVX2 kernel for 16-channel
// blocks: they fall to its naive `ref` kernel), NHWC for bf16 on AMX (the brgemm AMX kernels take
// channels-last only). Immutable value type; thread-safe.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>

#include "engine/backend.h"
#include "engine/tensor.h"

namespace upres::engine::cpu {

class ActivationLayout {
 public:
  // The layout for `isa` (effective_isa()) and compute type, unless `choice` fixes it.
  static ActivationLayout choose(dnnl::cpu_isa isa, dnnl::memory::data_type compute, CpuLayout choice);
  static ActivationLayout blocked(int64_t channel_block) { return ActivationLayout(channel_block); }
  static ActivationLayout channels_last() { return ActivationLayout(0); }

  // 8 or 16 for nChw8c / nChw16c; 0 for channels-last.
  int64_t channel_block() const { return channel_block_; }
  bool is_blocked() const { return channel_block_ > 0; }
  // Whether a channel range [start, start + count) of a batch-1 value in this layout is itself a
  // dense tensor of the layout (so a concat input or slice can live in place).
  bool slices_densely(int64_t start, int64_t count) const {
    return is_blocked() && start % channel_block_ == 0 && count % channel_block_ == 0;
  }
  // The layout's descriptor of a 4-D `shape`.
  dnnl::memory::desc desc(const Shape& shape, dnnl::memory::data_type type) const;
  // Whether `desc` is this layout's descriptor of `shape` in its own data type.
  bool holds(const dnnl::memory::desc& desc, const Shape& shape) const;
  // "nChw16c", "nChw8c" or "nhwc".
  std::string name() const;

 private:
  explicit ActivationLayout(int64_t channel_block) : channel_block_(channel_block) {}
  int64_t channel_block_;
};

}  // namespace upres::engine::cpu
