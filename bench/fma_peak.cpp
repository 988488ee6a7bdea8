// fma_peak: prints the measured fp32 (and bf16) peak on 1 thread and on every core.
#include <cstdio>
#include <thread>

#include "peak_flops.h"

int main() {
  using upres::bench::measured_peak_gflops;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const bool has_bf16 = upres::bench::cpu_has_flag("avx512_bf16");
  std::printf("%-6s %8s %12s\n", "dtype", "threads", "GFLOP/s");
  for (int threads : {1, cores}) {
    std::printf("%-6s %8d %12.1f\n", "fp32", threads, measured_peak_gflops(false, threads));
    if (has_bf16) std::printf("%-6s %8d %12.1f\n", "bf16", threads, measured_peak_gflops(true, threads));
  }
  if (!has_bf16) std::printf("bf16: this CPU lacks avx512_bf16\n");
  return 0;
}
