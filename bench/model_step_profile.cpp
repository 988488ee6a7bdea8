// model_step_profile: where one forward pass of a model file spends its time on the cpu backend,
// step by step: the time share of each step kind (convolution, reorder, binary, native host
// kernels, ...) and the slowest steps with oneDNN's implementation name. One tile of SIZE_PX
// squared, a warm-up run, then one profiled run (each step waited for, so a little slower than a
// plain run). For finding what costs time outside the convolutions on a CPU class (cap it with
// ONEDNN_MAX_CPU_ISA).
// Usage: OMP_NUM_THREADS=2 model_step_profile MODEL SIZE_PX [fp32|bf16] [TOP=12] [auto|nhwc|nChw8c|nChw16c]
// (the last fixes the activation layout: nhwc is what bf16 takes on AMX, to look at that path elsewhere)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "models/upscale_model.h"

int main(int argc, char** argv) {
  using namespace upres;
  if (argc < 3) return std::fprintf(stderr, "usage: %s MODEL SIZE_PX [fp32|bf16] [TOP=12] [auto|nhwc|nChw8c|nChw16c]\n", argv[0]), 2;
  const int size = std::atoi(argv[2]);
  const DType dtype = argc > 3 && std::string(argv[3]) == "bf16" ? DType::kBF16 : DType::kF32;
  const size_t top = argc > 4 ? static_cast<size_t>(std::max(1, std::atoi(argv[4]))) : 12;
  const std::string layout_name = argc > 5 ? argv[5] : "auto";
  const engine::CpuLayout layout = layout_name == "nhwc"      ? engine::CpuLayout::kChannelsLast
                           : layout_name == "nChw8c"  ? engine::CpuLayout::kBlocked8
                           : layout_name == "nChw16c" ? engine::CpuLayout::kBlocked16
                                                      : engine::CpuLayout::kAuto;
  auto model = models::load_upscale_model(argv[1]);
  if (!model.is_ok()) return std::fprintf(stderr, "%s\n", model.status().to_string().c_str()), 1;
  const int multiple = std::max(1, (*model)->size_multiple());
  const int tile = (size + multiple - 1) / multiple * multiple;
  auto graph = (*model)->build_graph(tile, tile);
  if (!graph.is_ok()) return std::fprintf(stderr, "%s\n", graph.status().to_string().c_str()), 1;
  engine::cpu::CpuBackend backend;
  auto exe = backend.prepare(*graph, {.compute_dtype = dtype, .cpu_layout = layout});
  if (!exe.is_ok()) return std::fprintf(stderr, "%s\n", exe.status().to_string().c_str()), 1;
  auto* cpu = dynamic_cast<engine::cpu::CpuExecutable*>(exe->get());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> pixels(static_cast<size_t>(3) * tile * tile);
  for (float& v : pixels) v = dist(rng);
  auto input = engine::Tensor::from_f32(pixels, {1, 3, tile, tile});
  std::vector<engine::Tensor> outputs(1);
  if (!input.is_ok() || !cpu->run({&*input, 1}, outputs).is_ok()) return std::fprintf(stderr, "run failed\n"), 1;
  const std::vector<std::string> labels = cpu->step_descriptions();
  const std::vector<double> seconds = cpu->profile_steps();
  if (seconds.size() != labels.size()) return std::fprintf(stderr, "profile failed\n"), 1;

  double total = 0.0;
  std::map<std::string, std::pair<int, double>> by_kind;
  for (size_t k = 0; k < labels.size(); ++k) {
    const std::string what = labels[k].substr(labels[k].rfind(": ") + 2);
    auto& entry = by_kind[what.substr(0, what.find(' '))];
    entry.first += 1;
    entry.second += seconds[k];
    total += seconds[k];
  }
  std::printf("# %s, %dx%d, %s, layout %s, %s: %.1f ms in %zu steps\n", (*model)->architecture().c_str(), tile, tile,
              std::string(dtype_name(dtype)).c_str(), layout_name.c_str(), backend.describe().c_str(), total * 1e3,
              labels.size());
  for (const auto& [kind, entry] : by_kind) {
    std::printf("%-12s %4d steps %9.2f ms %5.1f%%\n", kind.c_str(), entry.first, entry.second * 1e3,
                100.0 * entry.second / total);
  }
  std::vector<size_t> order(labels.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return seconds[a] > seconds[b]; });
  std::printf("# slowest steps\n");
  for (size_t k = 0; k < std::min(top, order.size()); ++k) {
    std::printf("%9.2f ms  %s\n", seconds[order[k]] * 1e3, labels[order[k]].c_str());
  }
  return 0;
}
