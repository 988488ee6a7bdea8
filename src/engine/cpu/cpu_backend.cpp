// CpuBackend: the factory registered as "cpu", capability checks and prepare().
#include "engine/cpu/cpu_backend.h"

#include <cstdlib>
#include <string>

#include "engine/backend_registry.h"
#include "engine/cpu/activation_layout.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/lowering.h"
#include "engine/cpu/winograd_step.h"
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

namespace {

// The AMX permission is requested (by effective_isa()) before oneDNN probes the CPU.
dnnl::engine make_engine() {
  (void)effective_isa();
  return dnnl::engine(dnnl::engine::kind::cpu, 0);
}

}  // namespace

CpuBackend::CpuBackend() : engine_(make_engine()) {}

DType CpuBackend::fastest_compute_dtype() const { return bf16_outruns_fp32() ? DType::kBF16 : DType::kF32; }

std::string CpuBackend::describe() const {
  const dnnl::cpu_isa isa = effective_isa();
  const dnnl::version_t* v = dnnl::version();
  const auto layout = [isa](dnnl::memory::data_type type) {
    return ActivationLayout::choose(isa, type, CpuLayout::kAuto).name();
  };
  std::string line = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                     std::to_string(v->patch) + ", ISA " + isa_name(isa);
  if (const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA")) line += std::string(" (capped by ONEDNN_MAX_CPU_ISA=") + cap + ")";
  line += ", activations " + layout(dnnl::memory::data_type::f32) + " (fp32)";
  if (has_native_bf16()) line += " / " + layout(dnnl::memory::data_type::bf16) + " (bf16)";
  line += std::string(", bf16 ") + (has_amx_bf16() ? "on AMX tiles" : has_native_bf16() ? "native (avx512_bf16)" : "not native");
  line += std::string(bf16_outruns_fp32() ? " and faster than fp32" : has_native_bf16() ? " but not faster than fp32" : "");
  const std::optional<WinogradIsa> winograd = native_winograd_isa(isa);
  line += std::string(", Winograd fp32 ") + (!winograd                          ? (is_avx512_core_class(isa) ? "yes (oneDNN)" : "no")
                                             : *winograd == WinogradIsa::kAvx2 ? "yes (upres AVX2 kernel)"
                                                                               : "yes (upres AVX-512 kernel)");
  return line;
}

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
