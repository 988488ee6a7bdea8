// winograd_avx2_throughput: upres's AVX2 Winograd F(4x4, 3x3) convolution (WinogradAvx2Conv)
// against oneDNN's direct convolution under the AVX2 cap (jit:avx2), both on nChw8c fp32 with
// bias + leaky relu 0.2, batch 1, padding 1, at 32..256 px for 64->64, 64->32 and 32->32 channels
// (plus the optional [size] [in] [out] given). Best of N after warm-up; threads from
// OMP_NUM_THREADS. Sets ONEDNN_MAX_CPU_ISA=AVX2 unless the caller set a cap. Prints CSV:
// size, shape, direct ms, winograd ms, GFLOP/s of each (direct-equivalent FLOP), the ratio, the
// max |difference| between the two outputs, and oneDNN's kernel name.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/conv_primitive.h"
#include "engine/cpu/winograd_avx2.h"

namespace {

using dnnl::memory;
using upres::engine::cpu::ConvLayout;
using upres::engine::cpu::ConvPostOp;
using upres::engine::cpu::ConvPrimitive;
using upres::engine::cpu::ConvSpec;
using upres::engine::cpu::WinogradAvx2Conv;
using upres::engine::cpu::WinogradAvx2Epilogue;
using upres::engine::cpu::WinogradAvx2Shape;

template <typename Body>
double best_seconds(int repeats, Body body) {
  for (int i = 0; i < 2; ++i) body();
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

bool run_case(const dnnl::engine& engine, int64_t size, int64_t in, int64_t out) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> weights(static_cast<size_t>(out * in * 9)), bias(static_cast<size_t>(out));
  for (float& w : weights) w = dist(rng) / std::sqrt(static_cast<float>(in * 9));
  for (float& b : bias) b = dist(rng) * 0.1f;

  ConvSpec spec;
  spec.in_channels = in;
  spec.out_channels = out;
  spec.in_height = spec.in_width = size;
  spec.kernel_h = spec.kernel_w = 3;
  spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 1;
  spec.has_bias = true;
  spec.allow_winograd = false;
  spec.post_ops.push_back({ConvPostOp::Kind::kEltwise, dnnl::algorithm::eltwise_relu, 0.2f});
  ConvLayout layout;
  layout.src = memory::desc({1, in, size, size}, memory::data_type::f32, memory::format_tag::nChw8c);
  layout.dst = memory::desc({1, out, size, size}, memory::data_type::f32, memory::format_tag::nChw8c);
  auto direct = ConvPrimitive::create(engine, spec, weights, bias, layout);
  if (!direct.is_ok()) {
    std::fprintf(stderr, "%s\n", direct.status().to_string().c_str());
    return false;
  }
  WinogradAvx2Epilogue epilogue;
  epilogue.activation = upres::engine::Activation::kLeakyRelu;
  epilogue.alpha = 0.2f;
  auto winograd = WinogradAvx2Conv::create(WinogradAvx2Shape{1, in, out, size, size, 1}, epilogue, weights, bias);
  if (!winograd.is_ok()) {
    std::fprintf(stderr, "%s\n", winograd.status().to_string().c_str());
    return false;
  }
  memory src(*layout.src, engine), dst_direct(*layout.dst, engine), dst_winograd(*layout.dst, engine);
  auto* x = static_cast<float*>(src.get_data_handle());
  for (size_t i = 0; i < layout.src->get_size() / sizeof(float); ++i) x[i] = dist(rng);
  dnnl::stream stream(engine);
  const int repeats = size <= 64 ? 40 : 10;
  const double direct_s = best_seconds(repeats, [&] {
    direct->execute(stream, src, dst_direct);
    stream.wait();
  });
  auto* y = static_cast<float*>(dst_winograd.get_data_handle());
  const double winograd_s = best_seconds(repeats, [&] { winograd->run(x, nullptr, y); });
  const auto* y_direct = static_cast<const float*>(dst_direct.get_data_handle());
  double diff = 0.0;
  for (size_t i = 0; i < layout.dst->get_size() / sizeof(float); ++i)
    diff = std::max(diff, static_cast<double>(std::abs(y[i] - y_direct[i])));
  const double gflop = spec.flop() * 1e-9;
  std::printf("%ld,%ldx%ld,%.3f,%.3f,%.1f,%.1f,%.2f,%.1e,%s\n", static_cast<long>(size), static_cast<long>(in),
              static_cast<long>(out), direct_s * 1e3, winograd_s * 1e3, gflop / direct_s, gflop / winograd_s,
              direct_s / winograd_s, diff, direct->implementation());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("ONEDNN_MAX_CPU_ISA", "AVX2", /*overwrite=*/0);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!upres::engine::cpu::cpu_runs_winograd_avx2()) {
    std::fprintf(stderr, "this CPU has no AVX2+FMA\n");
    return 1;
  }
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  std::printf("size,shape,direct_ms,winograd_ms,direct_gflops,winograd_gflops,speedup,max_abs_diff,direct_kernel\n");
  bool ok = true;
  if (argc > 3) return run_case(engine, std::atol(argv[1]), std::atol(argv[2]), std::atol(argv[3])) ? 0 : 1;
  for (int64_t size : {32, 64, 128, 256}) {
    for (auto [in, out] : {std::pair<int64_t, int64_t>{64, 64}, {64, 32}, {32, 32}}) {
      ok = run_case(engine, size, in, out) && ok;
    }
  }
  return ok ? 0 : 1;
}
