// The split-modulate-join of GFPGAN's SFT, concat(slice(x, 0, h), slice(x, h, C) * s + t), on the
// cpu backend: with x a convolution's blocked output it runs in place (no slice copy, no concat,
// the modulation on its channel half of the joined buffer), and every variant that must not run in
// place (x read elsewhere, parts out of order, halves off the channel block, x a graph output)
// still matches the reference backend.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "engine/cpu/activation_layout.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/cpu_isa.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

struct SplitCase {
  std::string name;
  int64_t channels = 64;  // of x; the split is at half
  bool x_read_elsewhere = false;
  bool parts_swapped = false;
  bool x_is_output = false;
  bool expect_in_place = true;  // on a blocked activation layout
};

Graph split_graph(const SplitCase& c, std::mt19937& rng) {
  Graph g;
  const int64_t half = c.channels / 2;
  Value x = random_conv3x3(g, g.input("face", {1, 8, 19, 23}), 8, c.channels, rng);
  Value scale = g.input("scale", {1, c.channels - half, 19, 23});
  Value shift = g.input("shift", {1, c.channels - half, 19, 23});
  Value same = g.slice(x, 1, 0, half);
  Value modulated = g.add(g.mul(g.slice(x, 1, half, c.channels), scale), shift);
  Value joined = c.parts_swapped ? g.concat({modulated, same}) : g.concat({same, modulated});
  if (c.x_read_elsewhere) joined = g.add(joined, x);
  g.mark_output(random_conv3x3(g, joined, c.channels, 16, rng));
  if (c.x_is_output) g.mark_output(x);
  return g;
}

std::vector<Tensor> run_on(const std::string& backend_name, const Graph& graph, const std::vector<Tensor>& inputs,
                           DType dtype, CpuLayout layout = CpuLayout::kAuto,
                           std::vector<std::string>* steps = nullptr) {
  auto backend = create_backend(backend_name);
  EXPECT_TRUE(backend.is_ok());
  PrepareOptions options;
  options.run_graph_passes = backend_name != "reference";
  options.compute_dtype = dtype;
  options.cpu_layout = layout;
  auto exe = (*backend)->prepare(graph, options);
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  if (!exe.is_ok()) return {};
  std::vector<Tensor> outputs(graph.outputs().size());
  const Status status = (*exe)->run(inputs, outputs);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  if (steps != nullptr) *steps = dynamic_cast<cpu::CpuExecutable*>(exe->get())->step_descriptions();
  return outputs;
}

bool is_blocked(DType dtype, CpuLayout layout) {
  const auto type = dtype == DType::kBF16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
  return cpu::ActivationLayout::choose(cpu::effective_isa(), type, layout).is_blocked();
}

// On this CPU class's own layout, and on nChw8c (AVX2's) forced.
void check(const SplitCase& c, DType dtype, double tolerance, CpuLayout layout) {
  SCOPED_TRACE(c.name + " in " + std::string(dtype_name(dtype)) +
               (layout == CpuLayout::kBlocked8 ? " on nChw8c" : " on this CPU's layout"));
  std::mt19937 rng(41);
  const Graph g = split_graph(c, rng);
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  std::vector<Tensor> inputs;
  for (Value input : g.inputs()) inputs.push_back(random_tensor(g.shape(input), rng, 1.0f));
  std::vector<std::string> steps;
  const std::vector<Tensor> cpu = run_on("cpu", g, inputs, dtype, layout, &steps);
  const std::vector<Tensor> reference = run_on("reference", g, inputs, DType::kF32);
  ASSERT_EQ(cpu.size(), reference.size());
  for (size_t k = 0; k < cpu.size(); ++k) EXPECT_LE(testing::relative_error(cpu[k], reference[k]), tolerance);
  int copies = 0;
  for (const std::string& step : steps) {
    EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
    copies += step.rfind("concat", 0) == 0 || step.rfind("slice", 0) == 0;
  }
  if (c.expect_in_place && is_blocked(dtype, layout)) {
    EXPECT_EQ(copies, 0) << "the split and the join should be in place";
  } else {
    EXPECT_GT(copies, 0) << "this variant cannot be in place, yet no copy was lowered";
  }
}

const std::vector<SplitCase>& cases() {
  static const std::vector<SplitCase> all = {
      {.name = "sft"},
      {.name = "x read elsewhere", .x_read_elsewhere = true, .expect_in_place = false},
      {.name = "parts swapped", .parts_swapped = true, .expect_in_place = false},
      {.name = "x a graph output", .x_is_output = true, .expect_in_place = false},
      {.name = "half off the block", .channels = 24, .expect_in_place = false},
  };
  return all;
}

TEST(CpuSplitInPlaceTest, SftJoinRunsInPlaceOnlyWhereItMayAndMatchesReference) {
  for (CpuLayout layout : {CpuLayout::kAuto, CpuLayout::kBlocked8}) {
    for (const SplitCase& c : cases()) check(c, DType::kF32, 1e-5, layout);
  }
}

TEST(CpuSplitInPlaceTest, SftJoinInBf16StaysWithinTolerance) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  for (const SplitCase& c : cases()) check(c, DType::kBF16, 3e-2, CpuLayout::kAuto);
}

}  // namespace
}  // namespace upres::engine
