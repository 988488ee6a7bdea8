// Measured floating-point peak of this machine (FMA loops), shared by the benchmarks in bench/.
// Each call spins `threads` threads for about a second; call from one thread at a time.
#pragma once

namespace upres::bench {

// Whether /proc/cpuinfo lists `flag` (e.g. "avx512_bf16").
bool cpu_has_flag(const char* flag);

// Best-of-5 GFLOP/s of a register-only FMA loop on `threads` threads: fp32 AVX-512 FMA, or
// bf16 VDPBF16PS with fp32 accumulation (returns 0 where the CPU lacks avx512_bf16).
double measured_peak_gflops(bool bf16, int threads);

}  // namespace upres::bench
