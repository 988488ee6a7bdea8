// network_throughput: ESRGAN-shaped graphs (RRDB blocks of three dense blocks each, nf 64, gc 32,
// random weights) run end to end through the "cpu" backend, as GFLOP/s of their convolutions and
// a fraction of the fp32 FMA peak measured in the same process. This is what the per-shape numbers
// become once reorders, residual sums, post-ops and the upsampling part are paid for.
//   trunk: conv_first, N RRDB blocks, conv_body + skip (the body of R-ESRGAN 4x+ in miniature)
//   full:  R-ESRGAN 4x+ as src/models/rrdbnet.cpp builds it (N = 23 there): the trunk, then two
//          nearest 2x resizes each followed by conv + leaky relu, conv_hr + leaky relu, conv_last
// Usage: network_throughput [size_px=128] [rrdb_blocks=2] [trunk|full] [runs=5] [fp32|bf16|both]
// Threads from OMP_NUM_THREADS. Also lists steps that left the fast path (oneDNN `ref` kernels,
// host fallbacks) and the time share of every step kind (one extra profiled run).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_executable.h"
#include "peak_flops.h"

namespace {

using namespace upres::engine;
using upres::DType;
using upres::dtype_name;

struct Network {
  Graph graph;
  double flop = 0.0;
};

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = dist(rng);
  return *Tensor::from_f32(values, shape);
}

// 3x3 conv, padding 1; weights scaled so activations keep their magnitude through 23 blocks.
Value conv(Network& n, Value x, int64_t in, int64_t out, std::mt19937& rng) {
  const Shape& s = n.graph.shape(x);
  n.flop += 2.0 * s[2] * s[3] * in * out * 9;
  const float range = 1.0f / std::sqrt(static_cast<float>(in * 9));
  return n.graph.conv2d(x, random_tensor({out, in, 3, 3}, rng, range), random_tensor({out}, rng, 0.01f),
                        {.padding = 1});
}

Value dense_block(Network& n, Value x, std::mt19937& rng) {
  constexpr int64_t nf = 64, gc = 32;
  std::vector<Value> features = {x};
  for (int i = 1; i <= 4; ++i) {
    Value in = features.size() == 1 ? x : n.graph.concat(features, 1);
    features.push_back(n.graph.leaky_relu(conv(n, in, nf + gc * (i - 1), gc, rng), 0.2f));
  }
  Value x5 = conv(n, n.graph.concat(features, 1), nf + 4 * gc, nf, rng);
  return n.graph.add(n.graph.scale(x5, 0.2f), x);
}

Network build_network(int64_t size, int blocks, bool full) {
  std::mt19937 rng(42);
  Network n;
  Graph& g = n.graph;
  Value x = g.input("x", {1, 3, size, size});
  Value feat = conv(n, x, 3, 64, rng);
  Value body = feat;
  for (int b = 0; b < blocks; ++b) {
    Value in = body;
    for (int d = 0; d < 3; ++d) body = dense_block(n, body, rng);
    body = g.add(g.scale(body, 0.2f), in);
  }
  feat = g.add(conv(n, body, 64, 64, rng), feat);
  if (!full) {
    g.mark_output(feat);
    return n;
  }
  const ResizeAttrs nearest2x{.mode = ResizeMode::kNearest, .scale_h = 2, .scale_w = 2};
  for (int up = 0; up < 2; ++up) feat = g.leaky_relu(conv(n, g.resize(feat, nearest2x), 64, 64, rng), 0.2f);
  g.mark_output(conv(n, g.leaky_relu(conv(n, feat, 64, 64, rng), 0.2f), 64, 3, rng));
  return n;
}

// Steps that left the fast path: oneDNN `ref` kernels and reference-kernel host fallbacks.
bool is_slow(const std::string& step) {
  return step.find(" ref") != std::string::npos || step.find(": fallback") != std::string::npos;
}

void print_slow_steps(const cpu::CpuExecutable& exe) {
  int slow = 0;
  for (const std::string& step : exe.step_descriptions()) {
    if (!is_slow(step)) continue;
    if (++slow <= 5) std::printf("  slow step: %s\n", step.c_str());
  }
  std::printf("  %d step(s) off the fast path, %zu steps in all\n", slow, exe.step_descriptions().size());
}

// Time share of each step kind ("convolution", "reorder", "binary", "host", ...), from one run.
void print_step_profile(cpu::CpuExecutable& exe) {
  const std::vector<std::string> labels = exe.step_descriptions();
  const std::vector<double> seconds = exe.profile_steps();
  if (seconds.size() != labels.size()) return;
  std::map<std::string, std::pair<int, double>> by_kind;
  double total = 0.0;
  for (size_t k = 0; k < labels.size(); ++k) {
    const size_t colon = labels[k].rfind(": ");
    const std::string what = labels[k].substr(colon + 2);
    auto& entry = by_kind[what.substr(0, what.find(' '))];
    entry.first += 1;
    entry.second += seconds[k];
    total += seconds[k];
  }
  for (const auto& [kind, entry] : by_kind) {
    std::printf("  %-12s %4d steps %9.2f ms %5.1f%%\n", kind.c_str(), entry.first, entry.second * 1e3,
                100.0 * entry.second / total);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int64_t size = argc > 1 ? std::atoll(argv[1]) : 128;
  const int blocks = argc > 2 ? std::atoi(argv[2]) : 2;
  const bool full = argc > 3 && std::string(argv[3]) == "full";
  const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
  const std::string dtypes = argc > 5 ? argv[5] : "both";
  const char* env = std::getenv("OMP_NUM_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;
  Network network = build_network(size, blocks, full);
  if (!network.graph.status().is_ok()) {
    return std::fprintf(stderr, "%s\n", network.graph.status().to_string().c_str()), 1;
  }
  const double peak = upres::bench::measured_peak_gflops(false, threads);
  std::printf("fp32 FMA peak, %d thread(s): %.1f GFLOP/s; %s %lldx%lld, %d RRDB: %.2f GFLOP per run\n", threads,
              peak, full ? "R-ESRGAN 4x+" : "trunk", static_cast<long long>(size), static_cast<long long>(size),
              blocks, network.flop * 1e-9);
  auto backend = create_backend("cpu");
  if (!backend.is_ok()) return std::fprintf(stderr, "%s\n", backend.status().to_string().c_str()), 1;
  std::mt19937 rng(1);
  const Tensor input = random_tensor({1, 3, size, size}, rng, 1.0f);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    if (dtypes != "both" && dtypes != (dtype == DType::kF32 ? "fp32" : "bf16")) continue;
    PrepareOptions options;
    options.compute_dtype = dtype;
    auto exe = (*backend)->prepare(network.graph, options);
    if (!exe.is_ok()) {
      std::printf("%s: %s\n", std::string(dtype_name(dtype)).c_str(), exe.status().to_string().c_str());
      continue;
    }
    std::vector<Tensor> outputs(1);
    double best = 1e30;
    for (int run = 0; run <= runs; ++run) {  // run 0 warms up
      auto start = std::chrono::steady_clock::now();
      if (!(*exe)->run({&input, 1}, outputs).is_ok()) return 1;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (run > 0) best = std::min(best, seconds);
    }
    const double gflops = network.flop / best * 1e-9;
    std::printf("%-9s %9.1f ms  %7.1f GFLOP/s  %5.1f%% of fp32 peak  arena %.1f MiB\n",
                std::string(dtype_name(dtype)).c_str(), best * 1e3, gflops, 100.0 * gflops / peak,
                (*exe)->arena_bytes() / 1048576.0);
    auto* cpu_exe = dynamic_cast<cpu::CpuExecutable*>(exe->get());
    if (cpu_exe == nullptr) continue;
    print_slow_steps(*cpu_exe);
    if (std::getenv("UPRES_BENCH_PROFILE") != nullptr) print_step_profile(*cpu_exe);
  }
  return 0;
}
