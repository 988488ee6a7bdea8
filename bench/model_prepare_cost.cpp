// model_prepare_cost: the fixed cost of a one-picture run of an upscale model file on the cpu
// backend, stage by stage: loading the file (parse + weight conversion), building the graph for
// one SIZE_PX tile, preparing the executable (oneDNN primitives, weight reorders), the first and a
// second forward run. Wall and process CPU seconds per stage (CPU time is what other load on a
// shared machine does not inflate), and the minor page faults of each stage.
// Usage: OMP_NUM_THREADS=2 model_prepare_cost MODEL SIZE_PX [fp32|fp32-direct]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "models/upscale_model.h"

namespace {

struct Clock {
  double wall = 0.0, cpu = 0.0;
  long minor_faults = 0;
  static Clock now() {
    timespec cpu{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return {std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
            static_cast<double>(cpu.tv_sec) + 1e-9 * static_cast<double>(cpu.tv_nsec), usage.ru_minflt};
  }
};

void print_stage(const char* stage, Clock& last) {
  const Clock now = Clock::now();
  std::printf("%-10s %8.3f s wall %8.3f s cpu %8ld minor faults\n", stage, now.wall - last.wall, now.cpu - last.cpu,
              now.minor_faults - last.minor_faults);
  last = now;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upres;
  if (argc < 3) return std::fprintf(stderr, "usage: %s MODEL SIZE_PX [fp32|fp32-direct]\n", argv[0]), 2;
  const int size = std::atoi(argv[2]);
  const bool winograd = !(argc > 3 && std::string(argv[3]) == "fp32-direct");
  if (size <= 0) return std::fprintf(stderr, "bad size\n"), 2;
  Clock start = Clock::now(), last = start;
  auto model = models::load_upscale_model(argv[1]);
  if (!model.is_ok()) return std::fprintf(stderr, "%s\n", model.status().to_string().c_str()), 1;
  print_stage("load", last);
  const int multiple = std::max(1, (*model)->size_multiple());
  const int tile = (size + multiple - 1) / multiple * multiple;
  auto graph = (*model)->build_graph(tile, tile);
  if (!graph.is_ok()) return std::fprintf(stderr, "%s\n", graph.status().to_string().c_str()), 1;
  print_stage("graph", last);
  engine::cpu::CpuBackend backend;
  auto exe = backend.prepare(*graph, {.compute_dtype = DType::kF32, .winograd = winograd});
  if (!exe.is_ok()) return std::fprintf(stderr, "%s\n", exe.status().to_string().c_str()), 1;
  print_stage("prepare", last);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> pixels(static_cast<size_t>(3) * tile * tile);
  for (float& v : pixels) v = dist(rng);
  auto input = engine::Tensor::from_f32(pixels, {1, 3, tile, tile});
  if (!input.is_ok()) return 1;
  for (const char* stage : {"run 1", "run 2"}) {
    std::vector<engine::Tensor> outputs(1);
    if (!(*exe)->run({&*input, 1}, outputs).is_ok()) return std::fprintf(stderr, "run failed\n"), 1;
    print_stage(stage, last);
  }
  print_stage("total", start);
  return 0;
}
