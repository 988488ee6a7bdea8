// winograd_size_sweep: milliseconds of one 3x3 stride-1 fp32 convolution (pad 1, nChw16c, bias)
// run as oneDNN's Winograd and as its direct kernel, for every map size in a range, next to what
// ConvSpec::may_run_winograd() decides for that geometry. For deriving and checking the rule that
// keeps Winograd off the map sizes where oneDNN 2.6's jit_wino_4x3 blocks its tiles badly.
// Threads come from OMP_NUM_THREADS. Times are the process's CPU time per execution, which other
// processes on a shared machine do not inflate (wall time did, 3x); with OMP_NUM_THREADS=1 it is
// the kernel's own cost (with more threads it includes OpenMP's spin-waits).
// Usage: winograd_size_sweep IN_CHANNELS OUT_CHANNELS FROM_PX TO_PX [STEP_PX=1] [WIDTH_PX=square]
// (WIDTH_PX fixes the map's width, the swept size being its height.)
// Prints CSV: height_px,width_px,tiles,register_block,winograd_cpu_ms,direct_cpu_ms,winograd_speedup,rule,kernel
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "engine/cpu/conv_primitive.h"

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using upres::engine::cpu::ConvSpec;

double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Timing {
  double ms = 0.0;
  std::string kernel;
};

// Least CPU milliseconds of 10+ executions (~0.6 s) after two warm-up runs; ms < 0 where oneDNN
// has no non-reference kernel for the algorithm.
Timing time_algorithm(const dnnl::engine& engine, dnnl::algorithm algorithm, int64_t in_channels,
                      int64_t out_channels, int64_t height_px, int64_t width_px) {
  const memory::desc src({1, in_channels, height_px, width_px}, memory::data_type::f32, Tag::nChw16c);
  const memory::desc dst({1, out_channels, height_px, width_px}, memory::data_type::f32, Tag::nChw16c);
  const memory::desc weights({out_channels, in_channels, 3, 3}, memory::data_type::f32, Tag::any);
  const memory::desc bias({out_channels}, memory::data_type::f32, Tag::x);
  dnnl::convolution_forward::primitive_desc pd;
  try {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, src, weights, bias, dst, {1, 1},
                                      {1, 1}, {1, 1});
    pd = dnnl::convolution_forward::primitive_desc(d, engine, /*allow_empty=*/true);
  } catch (const dnnl::error&) {
    return {-1.0, "none"};
  }
  if (!pd || std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return {-1.0, "none"};
  dnnl::convolution_forward conv(pd);
  dnnl::stream stream(engine);
  memory src_m(pd.src_desc(), engine), dst_m(pd.dst_desc(), engine), bias_m(bias, engine);
  memory weights_m(pd.weights_desc(), engine);
  std::memset(src_m.get_data_handle(), 0, pd.src_desc().get_size());
  std::memset(bias_m.get_data_handle(), 0, bias.get_size());
  std::memset(weights_m.get_data_handle(), 0, pd.weights_desc().get_size());
  const std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, weights_m}, {DNNL_ARG_BIAS, bias_m}, {DNNL_ARG_DST, dst_m}};
  for (int i = 0; i < 2; ++i) conv.execute(stream, args);
  stream.wait();
  double best = 1e30, spent = 0.0;
  for (int i = 0; i < 10 || (spent < 0.6 && i < 60); ++i) {
    const double start = cpu_seconds();
    conv.execute(stream, args);
    stream.wait();
    const double s = cpu_seconds() - start;
    best = std::min(best, s);
    spent += s;
  }
  return {best * 1e3, pd.impl_info_str()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5)
    return std::fprintf(stderr, "usage: %s IN_CHANNELS OUT_CHANNELS FROM_PX TO_PX [STEP_PX=1] [WIDTH_PX]\n", argv[0]), 2;
  const int64_t in_channels = std::atoll(argv[1]), out_channels = std::atoll(argv[2]);
  const int64_t from = std::atoll(argv[3]), to = std::atoll(argv[4]);
  const int64_t step = argc > 5 ? std::max<int64_t>(1, std::atoll(argv[5])) : 1;
  const int64_t fixed_width = argc > 6 ? std::atoll(argv[6]) : 0;
  if (in_channels <= 0 || out_channels <= 0 || from < 3 || to < from)
    return std::fprintf(stderr, "bad channel counts or size range\n"), 2;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  std::printf("height_px,width_px,tiles,register_block,winograd_cpu_ms,direct_cpu_ms,winograd_speedup,rule,kernel\n");
  for (int64_t size = from; size <= to; size += step) {
    ConvSpec spec;
    spec.in_channels = in_channels;
    spec.out_channels = out_channels;
    spec.in_height = size;
    spec.in_width = fixed_width > 0 ? fixed_width : size;
    spec.kernel_h = spec.kernel_w = 3;
    spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 1;
    const Timing wino = time_algorithm(engine, dnnl::algorithm::convolution_winograd, in_channels, out_channels, size, spec.in_width);
    const Timing direct = time_algorithm(engine, dnnl::algorithm::convolution_direct, in_channels, out_channels, size, spec.in_width);
    const int64_t tiles = upres::engine::cpu::winograd_tile_count(spec);
    std::printf("%ld,%ld,%ld,%ld,%.3f,%.3f,%.2f,%s,%s\n", static_cast<long>(size), static_cast<long>(spec.in_width),
                static_cast<long>(tiles),
                static_cast<long>(upres::engine::cpu::winograd_register_block(tiles)), wino.ms, direct.ms,
                wino.ms > 0 ? direct.ms / wino.ms : 0.0, spec.may_run_winograd() ? "winograd" : "direct",
                wino.kernel.c_str());
  }
  return 0;
}
