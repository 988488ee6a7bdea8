// conv_throughput: GFLOP/s of the dense-block 3x3 convolutions through upres's oneDNN
// ConvPrimitive, and that as a fraction of the FMA-loop peak measured in the same run.
// Threads come from OMP_NUM_THREADS. Prints CSV rows that bench/conv_table.py joins with PyTorch's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/cpu/conv_primitive.h"
#include "peak_flops.h"

namespace {

using upres::engine::cpu::ConvLayout;
using upres::engine::cpu::ConvPrimitive;
using upres::engine::cpu::ConvSpec;
using dnnl::memory;

struct Shape { int64_t in, out; };
constexpr Shape kShapes[] = {{64, 32}, {96, 32}, {128, 32}, {160, 32}, {192, 64}, {64, 64}};
constexpr int64_t kSize = 256;

int thread_count() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  return env ? std::max(1, std::atoi(env)) : 1;
}

ConvSpec spec_for(Shape shape, bool bf16) {
  ConvSpec spec;
  spec.in_channels = shape.in;
  spec.out_channels = shape.out;
  spec.in_height = spec.in_width = kSize;
  spec.kernel_h = spec.kernel_w = 3;
  spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 1;
  spec.has_bias = true;
  spec.post_ops.push_back({upres::engine::cpu::ConvPostOp::Kind::kEltwise, dnnl::algorithm::eltwise_relu, 0.2f});
  spec.compute_type = bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  return spec;
}

// Best seconds of `repeats` executions after warm-up.
double time_conv(const ConvPrimitive& conv, dnnl::stream& stream, const memory& src, const memory& dst) {
  for (int i = 0; i < 3; ++i) conv.execute(stream, src, dst);
  stream.wait();
  double best = 1e30;
  for (int i = 0; i < 15; ++i) {
    auto start = std::chrono::steady_clock::now();
    conv.execute(stream, src, dst);
    stream.wait();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// mode "plain": oneDNN picks src/dst layouts. mode "slice": src and dst are channel slices of one
// 256-channel nChw16c buffer (the dense block's in-place concatenation), at block-aligned offsets.
bool run_shape(const dnnl::engine& engine, Shape shape, bool bf16, bool slice, int threads, double peak) {
  const ConvSpec spec = spec_for(shape, bf16);
  std::vector<float> weights(shape.out * shape.in * 9, 0.01f), bias(shape.out, 0.1f);
  ConvLayout layout;
  memory buffer;
  int64_t dst_offset_bytes = 0;
  if (slice) {
    // Batch 1: a block-aligned channel slice of an nChw16c buffer is itself a dense nChw16c
    // tensor starting (offset / 16) blocks in, so the convolution sees plain dense descriptors.
    const auto dt = spec.compute_type;
    const memory::desc whole({1, 256, kSize, kSize}, dt, memory::format_tag::nChw16c);
    buffer = memory(whole, engine);
    std::memset(buffer.get_data_handle(), 0, whole.get_size());
    layout.src = memory::desc({1, shape.in, kSize, kSize}, dt, memory::format_tag::nChw16c);
    layout.dst = memory::desc({1, shape.out, kSize, kSize}, dt, memory::format_tag::nChw16c);
    dst_offset_bytes = (256 - shape.out) * kSize * kSize * (bf16 ? 2 : 4);
  }
  auto conv = ConvPrimitive::create(engine, spec, weights, bias, layout);
  if (!conv.is_ok()) {
    std::fprintf(stderr, "%s\n", conv.status().to_string().c_str());
    return false;
  }
  memory src = slice ? memory(conv->src_desc(), engine, buffer.get_data_handle()) : memory(conv->src_desc(), engine);
  memory dst = slice ? memory(conv->dst_desc(), engine, static_cast<char*>(buffer.get_data_handle()) + dst_offset_bytes) : memory(conv->dst_desc(), engine);
  if (!slice) {
    std::memset(src.get_data_handle(), 0, conv->src_desc().get_size());
    std::memset(dst.get_data_handle(), 0, conv->dst_desc().get_size());
  }
  dnnl::stream stream(engine);
  const double seconds = time_conv(*conv, stream, src, dst);
  const double gflops = spec.flop() / seconds * 1e-9;
  std::printf("upres-%s,%s,%d,%ldx%ld,%.3f,%.1f,%.1f,%.3f,%s\n", slice ? "slice" : "plain", bf16 ? "bf16" : "fp32",
              threads, static_cast<long>(shape.in), static_cast<long>(shape.out), seconds * 1e3, gflops, peak,
              gflops / peak, conv->implementation());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Optional filter: conv_throughput [plain|slice] [fp32|bf16]
  const std::string only_mode = argc > 1 ? argv[1] : "";
  const std::string only_dtype = argc > 2 ? argv[2] : "";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int threads = thread_count();
  const bool has_bf16 = upres::bench::cpu_has_flag("avx512_bf16");
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const double peak_f32 = upres::bench::measured_peak_gflops(false, threads);
  const double peak_bf16 = has_bf16 ? upres::bench::measured_peak_gflops(true, threads) : 0.0;
  std::printf("impl,dtype,threads,shape,ms,gflops,peak_gflops,fraction,kernel\n");
  std::printf("fma-peak,fp32,%d,-,-,%.1f,%.1f,1.000,-\n", threads, peak_f32, peak_f32);
  if (has_bf16) std::printf("fma-peak,bf16,%d,-,-,%.1f,%.1f,1.000,-\n", threads, peak_bf16, peak_bf16);
  bool ok = true;
  for (bool bf16 : {false, true}) {
    if ((bf16 && !has_bf16) || (!only_dtype.empty() && only_dtype != (bf16 ? "bf16" : "fp32"))) continue;
    // Fractions are of the fp32 peak, so bf16 rows read directly as a speed-up over fp32 peak.
    for (bool slice : {false, true}) {
      if (!only_mode.empty() && only_mode != (slice ? "slice" : "plain")) continue;
      for (Shape shape : kShapes) ok = run_shape(engine, shape, bf16, slice, threads, peak_f32) && ok;
    }
  }
  return ok ? 0 : 1;
}
