// Measured floating-point peak of this machine (FMA loops), shared by the benchmarks in bench/.
// Each call spins `threads` threads for about a second; call from one thread at a time.
#pragma once

namespace upres::bench {

// Whether /proc/cpuinfo lists `flag` (e.g. "avx512_bf16").
bool cpu_has_flag(const char* flag);

// Best-of-5 GFLOP/s of a register-only FMA loop on `threads` threads: fp32 AVX-512 FMA (AVX2 FMA
// where the CPU lacks avx512f; 0 without either), or bf16 VDPBF16PS with fp32 accumulation (0
// where the CPU lacks avx512_bf16). The hardware's peak: ONEDNN_MAX_CPU_ISA does not cap it.
double measured_peak_gflops(bool bf16, int threads);

}  // namespace upres::bench
