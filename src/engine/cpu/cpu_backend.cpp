// CpuBackend: the factory registered as "cpu", capability checks and prepare().
#include "engine/cpu/cpu_backend.h"

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/lowering.h"
#include "engine/reference/kernel.h"

namespace upres::engine {

Result<std::unique_ptr<Backend>> make_cpu_backend() {
  try {
    return std::unique_ptr<Backend>(std::make_unique<cpu::CpuBackend>());
  } catch (const dnnl::error& e) {
    return unsupported(std::string("cpu backend: oneDNN has no CPU engine: ") + e.what());
  }
}

namespace cpu {

bool has_native_bf16() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

CpuBackend::CpuBackend() : engine_(dnnl::engine::kind::cpu, 0) {}

bool CpuBackend::supports(const Node& node, DType dtype) const {
  if (dtype == DType::kBF16 && !has_native_bf16()) return false;
  if (dtype != DType::kF32 && dtype != DType::kBF16) return false;
  return runs_on_onednn(node) || reference::find_kernel(node.kind) != nullptr;
}

Result<std::unique_ptr<Executable>> CpuBackend::prepare(const Graph& graph, const PrepareOptions& options) {
  if (options.compute_dtype == DType::kBF16 && !has_native_bf16())
    return unsupported("cpu: bfloat16 compute needs a CPU with avx512_bf16");
  UPRES_ASSIGN_OR_RETURN(auto executable, CpuExecutable::create(graph, options, engine_));
  return std::unique_ptr<Executable>(std::move(executable));
}

}  // namespace cpu
}  // namespace upres::engine
