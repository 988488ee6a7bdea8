// CpuBackend: the "cpu" backend, oneDNN 2.6 on the host's cores (OpenMP). Activations in the
// layout that suits the CPU class (activation_layout.h), weights reordered once per prepare(), fp32
// or bf16 compute (fp32 accumulation; bf16 needs avx512_bf16 or AMX). Thread-safe: the backend keeps no per-graph state; Executables are
// independent and may run concurrently (each owns its stream and arena).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/backend.h"
#include "engine/cpu/cpu_isa.h"
#include "engine/reference/reference_backend.h"

namespace upres::engine::cpu {

class CpuBackend final : public Backend {
 public:
  CpuBackend();

  std::string_view name() const override { return "cpu"; }
  bool supports(const Node& node, DType dtype) const override;
  // Host memory: allocate/upload/download are the reference backend's synchronous memcpy.
  Result<std::unique_ptr<DeviceBuffer>> allocate(size_t bytes) override { return host_.allocate(bytes); }
  Status upload(const Tensor& src, DeviceBuffer& dst, size_t offset_bytes) override {
    return host_.upload(src, dst, offset_bytes);
  }
  Status download(const DeviceBuffer& src, size_t offset_bytes, Tensor& dst) override {
    return host_.download(src, offset_bytes, dst);
  }
  // compute_dtype kBF16 fails with kUnsupported where has_native_bf16() is false.
  Result<std::unique_ptr<Executable>> prepare(const Graph& graph, const PrepareOptions& options) override;
  Status synchronize() override { return Status::ok(); }  // run() returns when it is done
  // kBF16 where bf16_outruns_fp32() (AMX), else kF32.
  DType fastest_compute_dtype() const override;
  // "oneDNN 2.6.3, ISA avx512_core_bf16, activations nChw16c (fp32) / nChw16c (bf16), ..."
  std::string describe() const override;

 private:
  dnnl::engine engine_;
  reference::ReferenceBackend host_;
};

}  // namespace upres::engine::cpu
