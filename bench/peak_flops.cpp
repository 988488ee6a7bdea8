// Measured floating-point peak: an AVX-512 FMA loop (fp32; AVX2 FMA on CPUs without avx512f) and a
// VDPBF16PS loop (bf16 with fp32 accumulation, only where the CPU reports avx512_bf16). Not thread-safe: spins its own threads.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "peak_flops.h"

namespace upres::bench {
namespace {

constexpr int kAccumulators = 16;  // enough independent chains to hide the 4-5 cycle FMA latency

// Runs `iterations` x 16 independent 16-lane FMAs; returns a value so the loop is not removed.
__attribute__((target("avx512f"))) float fma_loop_f32(long iterations) {
  __m512 acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_set1_ps(1.0f + 0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

// The same with 8-lane AVX2 FMAs, for CPUs without AVX-512 (an AVX-512 loop would fault there).
__attribute__((target("avx2,fma"))) float fma_loop_f32_avx2(long iterations) {
  __m256 acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm256_set1_ps(1.0f + 0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  float lanes[8];
  __m256 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = _mm256_add_ps(sum, acc[i]);
  _mm256_storeu_ps(lanes, sum);
  return lanes[0] + lanes[7];
}

// VDPBF16PS: each 32-bit lane accumulates a dot product of two bf16 pairs = 4 FLOP per lane.
__attribute__((target("avx512f,avx512bf16"))) float fma_loop_bf16(long iterations) {
  __m512 acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80);  // 1.0 in bf16
  const __m512bh b = (__m512bh)_mm512_set1_epi16(0x3380);  // ~6e-8 in bf16
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

// GFLOP/s of `threads` threads each running the loop; best of `repeats`.
double measure(bool bf16, bool avx512, int threads, long iterations, int repeats) {
  const double flop_per_iteration = kAccumulators * (avx512 ? 16.0 : 8.0) * (bf16 ? 4.0 : 2.0);
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    std::vector<std::thread> pool;
    std::vector<float> sink(threads);
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        sink[t] = bf16 ? fma_loop_bf16(iterations) : avx512 ? fma_loop_f32(iterations) : fma_loop_f32_avx2(iterations);
      });
    }
    for (auto& th : pool) th.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (sink[0] == 12345.0f) std::puts("");
    best = std::max(best, flop_per_iteration * iterations * threads / seconds * 1e-9);
  }
  return best;
}

}  // namespace

bool cpu_has_flag(const char* flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    line += ' ';
    return line.find(std::string(" ") + flag + " ") != std::string::npos;
  }
  return false;
}

double measured_peak_gflops(bool bf16, int threads) {
  if (bf16 && !cpu_has_flag("avx512_bf16")) return 0.0;
  const bool avx512 = cpu_has_flag("avx512f");
  if (!avx512 && !(cpu_has_flag("avx2") && cpu_has_flag("fma"))) return 0.0;
  return measure(bf16, avx512, threads, 20'000'000, 5);
}

}  // namespace upres::bench
