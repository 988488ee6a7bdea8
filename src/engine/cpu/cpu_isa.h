// The CPU class oneDNN dispatches on (AVX2, AVX-512, AVX-512 with bf16, AMX), as this process sees it:
// the hardware, capped by ONEDNN_MAX_CPU_ISA. Asks Linux for the AMX tile state first, so the AMX
// kernels are usable where the hardware has them. Thread-safe.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>

namespace upres::engine::cpu {

// oneDNN's effective ISA (after the AMX permission request, made once per process).
dnnl::cpu_isa effective_isa();
// "avx2", "avx512_core", "avx512_core_bf16", "avx512_core_amx", ...
std::string isa_name(dnnl::cpu_isa isa);
// Whether `isa` is an AVX-512 server/desktop class (avx512_core or above): 16-lane kernels, and
// oneDNN 2.6's Winograd convolutions.
bool is_avx512_core_class(dnnl::cpu_isa isa);
// Whether this CPU runs oneDNN's bf16 kernels natively (avx512_bf16 or AMX).
bool has_native_bf16();
// Whether bf16 convolutions run on AMX tiles, where they are several times faster than fp32.
bool has_amx_bf16();
// "AuthenticAMD", "GenuineIntel", ... (CPUID leaf 0; empty off x86).
std::string cpu_vendor();
// Whether oneDNN's bf16 convolutions outrun its fp32 ones (Winograd included) on this CPU: on AMX,
// and on AMD's avx512_bf16 (Zen 4/5: 1.2-1.3x fp32 Winograd on R-ESRGAN 4x+, AnimeVideo and
// Real-CUGAN). Not on Intel's avx512_bf16 without AMX (Cooper Lake, or a Xeon capped below AMX),
// where the bf16 dot-product kernels ran slower than fp32.
bool bf16_outruns_fp32();

}  // namespace upres::engine::cpu
