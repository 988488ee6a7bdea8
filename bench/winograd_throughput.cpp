// winograd_throughput: upres's Winograd F(4x4, 3x3) convolution (WinogradConv) against oneDNN's
// direct convolution and, on AVX-512, oneDNN's own Winograd (jit_wino_4x3), all fp32 with bias +
// leaky relu 0.2, batch 1, padding 1, at 32..256 px for 64->64, 64->32 and 32->32 channels (or the
// [size] [in] [out] given). Under ONEDNN_MAX_CPU_ISA=AVX2 (set unless the caller set a cap, or
// `avx512` as the first argument) the AVX2 kernel on nChw8c; otherwise the AVX-512 kernel on
// nChw16c. Best of N after warm-up; threads from OMP_NUM_THREADS. Prints CSV: size, shape, direct
// ms, upres Winograd ms, oneDNN Winograd ms (AVX-512; 0 where oneDNN declines), GFLOP/s of each
// (direct-equivalent FLOP), upres's speed-up over direct and over oneDNN's Winograd, the max
// |difference| between upres's and the direct output, and oneDNN's direct kernel name.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/conv_primitive.h"
#include "engine/cpu/winograd_conv.h"

namespace {

using dnnl::memory;
using upres::engine::cpu::ConvLayout;
using upres::engine::cpu::ConvPostOp;
using upres::engine::cpu::ConvPrimitive;
using upres::engine::cpu::ConvSpec;
using upres::engine::cpu::WinogradConv;
using upres::engine::cpu::WinogradEpilogue;
using upres::engine::cpu::WinogradIsa;
using upres::engine::cpu::WinogradShape;

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

bool run_case(const dnnl::engine& engine, WinogradIsa isa, int64_t size, int64_t in, int64_t out) {
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
  const memory::format_tag blocked = isa == WinogradIsa::kAvx512 ? memory::format_tag::nChw16c
                                                                 : memory::format_tag::nChw8c;
  layout.src = memory::desc({1, in, size, size}, memory::data_type::f32, blocked);
  layout.dst = memory::desc({1, out, size, size}, memory::data_type::f32, blocked);
  auto direct = ConvPrimitive::create(engine, spec, weights, bias, layout);
  if (!direct.is_ok()) {
    std::fprintf(stderr, "%s\n", direct.status().to_string().c_str());
    return false;
  }
  std::optional<ConvPrimitive> onednn_winograd;
  if (isa == WinogradIsa::kAvx512) {
    ConvSpec wino = spec;
    wino.allow_winograd = true;
    wino.post_ops.clear();  // oneDNN's Winograd takes no leaky relu post-op (the plan runs it apart)
    auto created = ConvPrimitive::create(engine, wino, weights, bias, layout);
    if (created.is_ok() && created->is_winograd()) onednn_winograd = std::move(created).value();
  }
  WinogradEpilogue epilogue;
  epilogue.activation = upres::engine::Activation::kLeakyRelu;
  epilogue.alpha = 0.2f;
  auto winograd = WinogradConv::create(isa, WinogradShape{1, in, out, size, size, 1}, epilogue, weights, bias);
  if (!winograd.is_ok()) {
    std::fprintf(stderr, "%s\n", winograd.status().to_string().c_str());
    return false;
  }
  memory src(*layout.src, engine), dst_direct(*layout.dst, engine), dst_winograd(*layout.dst, engine);
  memory dst_onednn_winograd(*layout.dst, engine);
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
  const double onednn_winograd_s = !onednn_winograd ? 0.0 : best_seconds(repeats, [&] {
    onednn_winograd->execute(stream, src, dst_onednn_winograd);
    stream.wait();
  });
  const auto* y_direct = static_cast<const float*>(dst_direct.get_data_handle());
  double diff = 0.0;
  for (size_t i = 0; i < layout.dst->get_size() / sizeof(float); ++i)
    diff = std::max(diff, static_cast<double>(std::abs(y[i] - y_direct[i])));
  const double gflop = spec.flop() * 1e-9;
  const double onednn_gflops = onednn_winograd_s > 0 ? gflop / onednn_winograd_s : 0.0;
  const double over_onednn = onednn_winograd_s > 0 ? onednn_winograd_s / winograd_s : 0.0;
  std::printf("%ld,%ldx%ld,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.2f,%.2f,%.1e,%s\n", static_cast<long>(size),
              static_cast<long>(in), static_cast<long>(out), direct_s * 1e3, winograd_s * 1e3,
              onednn_winograd_s * 1e3, gflop / direct_s, gflop / winograd_s, onednn_gflops, direct_s / winograd_s,
              over_onednn, diff, direct->implementation());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const bool avx512 = argc > 1 && std::string(argv[1]) == "avx512";
  if (avx512) {
    --argc;
    ++argv;
  } else {
    setenv("ONEDNN_MAX_CPU_ISA", "AVX2", /*overwrite=*/0);
  }
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  const WinogradIsa isa = avx512 || (cap != nullptr && std::string(cap).rfind("AVX512", 0) == 0) ? WinogradIsa::kAvx512
                                                                                                 : WinogradIsa::kAvx2;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!upres::engine::cpu::cpu_runs_winograd(isa)) {
    std::fprintf(stderr, "this CPU lacks the kernel's instructions\n");
    return 1;
  }
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  std::printf(
      "size,shape,direct_ms,winograd_ms,onednn_winograd_ms,direct_gflops,winograd_gflops,onednn_winograd_gflops,"
      "speedup_over_direct,speedup_over_onednn_winograd,max_abs_diff,direct_kernel\n");
  bool ok = true;
  if (argc > 3) return run_case(engine, isa, std::atol(argv[1]), std::atol(argv[2]), std::atol(argv[3])) ? 0 : 1;
  for (int64_t size : {32, 64, 128, 256}) {
    for (auto [in, out] : {std::pair<int64_t, int64_t>{64, 64}, {64, 32}, {32, 32}}) {
      ok = run_case(engine, isa, size, in, out) && ok;
    }
  }
  return ok ? 0 : 1;
}
