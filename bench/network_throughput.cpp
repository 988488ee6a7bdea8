// network_throughput: an ESRGAN trunk in miniature (conv_first, RRDB blocks of three dense
// blocks each, conv_body; nf 64, gc 32) run end to end through the "cpu" backend, fp32 and bf16,
// as GFLOP/s of its convolutions and a fraction of the measured fp32 peak. This is what the
// per-shape numbers become once reorders, residual copies and post-ops are paid for.
// Usage: network_throughput [size_px=128] [rrdb_blocks=2]; threads from OMP_NUM_THREADS.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "peak_flops.h"

namespace {

using namespace upres::engine;
using upres::DType;
using upres::dtype_name;

struct Trunk {
  Graph graph;
  double flop = 0.0;
};

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(static_cast<size_t>(shape_numel(shape)));
  for (float& v : values) v = dist(rng);
  return *Tensor::from_f32(values, shape);
}

Value conv(Trunk& t, Value x, int64_t in, int64_t out, std::mt19937& rng) {
  const Shape& s = t.graph.shape(x);
  t.flop += 2.0 * s[2] * s[3] * in * out * 9;
  return t.graph.conv2d(x, random_tensor({out, in, 3, 3}, rng, 0.05f), random_tensor({out}, rng, 0.01f), {.padding = 1});
}

Value dense_block(Trunk& t, Value x, std::mt19937& rng) {
  constexpr int64_t nf = 64, gc = 32;
  std::vector<Value> features = {x};
  for (int i = 1; i <= 4; ++i) {
    Value in = features.size() == 1 ? x : t.graph.concat(features, 1);
    features.push_back(t.graph.leaky_relu(conv(t, in, nf + gc * (i - 1), gc, rng), 0.2f));
  }
  Value x5 = conv(t, t.graph.concat(features, 1), nf + 4 * gc, nf, rng);
  return t.graph.add(t.graph.scale(x5, 0.2f), x);
}

Trunk build_trunk(int64_t size, int blocks) {
  std::mt19937 rng(42);
  Trunk t;
  Value x = t.graph.input("x", {1, 3, size, size});
  Value feat = conv(t, x, 3, 64, rng);
  Value body = feat;
  for (int b = 0; b < blocks; ++b) {
    Value in = body;
    for (int d = 0; d < 3; ++d) body = dense_block(t, body, rng);
    body = t.graph.add(t.graph.scale(body, 0.2f), in);
  }
  t.graph.mark_output(t.graph.add(conv(t, body, 64, 64, rng), feat));
  return t;
}

}  // namespace

using upres::DType;
using upres::dtype_name;
using namespace upres::engine;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int64_t size = argc > 1 ? std::atoll(argv[1]) : 128;
  const int blocks = argc > 2 ? std::atoi(argv[2]) : 2;
  const char* env = std::getenv("OMP_NUM_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;
  Trunk trunk = build_trunk(size, blocks);
  if (!trunk.graph.status().is_ok()) return std::fprintf(stderr, "%s\n", trunk.graph.status().to_string().c_str()), 1;
  const double peak = upres::bench::measured_peak_gflops(false, threads);
  std::printf("fp32 FMA peak, %d thread(s): %.1f GFLOP/s; trunk %lldx%lld, %d RRDB: %.2f GFLOP per run\n", threads, peak,
              static_cast<long long>(size), static_cast<long long>(size), blocks, trunk.flop * 1e-9);
  auto backend = create_backend("cpu");
  if (!backend.is_ok()) return std::fprintf(stderr, "%s\n", backend.status().to_string().c_str()), 1;
  std::mt19937 rng(1);
  const Tensor input = random_tensor({1, 3, size, size}, rng, 1.0f);
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    PrepareOptions options;
    options.compute_dtype = dtype;
    auto exe = (*backend)->prepare(trunk.graph, options);
    if (!exe.is_ok()) {
      std::printf("%s: %s\n", std::string(dtype_name(dtype)).c_str(), exe.status().to_string().c_str());
      continue;
    }
    std::vector<Tensor> outputs(1);
    double best = 1e30;
    for (int run = 0; run < 6; ++run) {
      auto start = std::chrono::steady_clock::now();
      if (!(*exe)->run({&input, 1}, outputs).is_ok()) return 1;
      if (run > 0) best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const double gflops = trunk.flop / best * 1e-9;
    std::printf("%-9s %8.1f ms  %7.1f GFLOP/s  %5.0f%% of fp32 peak  arena %.1f MiB\n",
                std::string(dtype_name(dtype)).c_str(), best * 1e3, gflops, 100.0 * gflops / peak,
                (*exe)->arena_bytes() / 1048576.0);
  }
  return 0;
}
