// The CPU class: oneDNN's effective ISA, after asking Linux for the AMX tile data permission.
#include "engine/cpu/cpu_isa.h"

#include <mutex>

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace upres::engine::cpu {
namespace {

// Linux 5.16+ keeps the 8 KiB AMX tile state off until a process asks (arch_prctl
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); without it the first tile instruction faults.
// Harmless where there is no AMX: the call fails and nothing changes.
void request_amx_permission() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  (void)syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata);
#endif
}

}  // namespace

dnnl::cpu_isa effective_isa() {
  static std::once_flag once;
  std::call_once(once, request_amx_permission);
  return dnnl::get_effective_cpu_isa();
}

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "isa_all";
  }
}

bool is_avx512_core_class(dnnl::cpu_isa isa) {
  return isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
         isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool has_native_bf16() {
  const dnnl::cpu_isa isa = effective_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool has_amx_bf16() { return effective_isa() == dnnl::cpu_isa::avx512_core_amx; }

bool bf16_outruns_fp32() { return has_amx_bf16(); }

}  // namespace upres::engine::cpu
