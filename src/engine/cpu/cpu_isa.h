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
// Whether bf16 convolutions outrun fp32 ones on this CPU: on AMX only. Without AMX, fp32 runs
// upres's Winograd kernel (winograd_conv.h), which on AMD's avx512_bf16 (Zen 5, 2 threads) ran
// R-ESRGAN 4x+ 1.2x faster than bf16's dot-product kernels, GFPGAN 1.1x, and AnimeVideo and
// Real-CUGAN within a few percent either way; Intel's avx512_bf16 without AMX ran bf16 slower still.
bool bf16_outruns_fp32();

}  // namespace upres::engine::cpu
