// lama_forward: one big-lama generator forward on the cpu backend, for bench/lama_vs_torch.py.
// Usage: lama_forward MODEL SIZE RUNS  -> prints "prepare <s>" and "forward <best s>" (after a warm-up).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "models/lama/lama_runner.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: lama_forward MODEL SIZE RUNS\n");
    return 2;
  }
  const int size = std::atoi(argv[2]), runs = std::atoi(argv[3]);
  auto runner = upres::models::lama::LamaRunner::load(argv[1], "cpu");
  if (!runner.is_ok()) {
    std::fprintf(stderr, "%s\n", runner.status().to_string().c_str());
    return 1;
  }
  const size_t plane = static_cast<size_t>(size) * size;
  std::vector<float> input(4 * plane), output(3 * plane);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (size_t i = 0; i < plane; ++i) {
    const float mask = (i % size) >= static_cast<size_t>(size) * 3 / 4 ? 1.0f : 0.0f;
    for (int c = 0; c < 3; ++c) input[c * plane + i] = uniform(rng) * (1.0f - mask);
    input[3 * plane + i] = mask;
  }
  using Clock = std::chrono::steady_clock;
  double best = 1e30, prepare = 0;
  for (int i = 0; i <= runs; ++i) {
    const auto start = Clock::now();
    upres::Status status = (*runner)->run(input.data(), size, size, output.data());
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!status.is_ok()) {
      std::fprintf(stderr, "%s\n", status.to_string().c_str());
      return 1;
    }
    if (i == 0) prepare = seconds;  // graph build + prepare + first run
    else if (seconds < best) best = seconds;
  }
  std::printf("first %.3f\nforward %.3f\n", prepare, best);
  return 0;
}
