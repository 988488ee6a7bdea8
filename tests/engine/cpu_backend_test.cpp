// The cpu backend beyond the per-op comparison of all_backends_test.cpp: ESRGAN dense blocks
// (fused post-ops, in-place concatenation, residual sums) against the reference backend, that
// the fast path really is taken (no concat copies, no oneDNN `ref` kernels, no host fallback),
// buffer reuse across runs, and the layouts where in-place concatenation must step aside.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "backend_runs.h"
#include "engine/backend_registry.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

Value conv3x3(Graph& g, Value x, int64_t in, int64_t out, std::mt19937& rng, const std::string& name) {
  return g.named(random_conv3x3(g, x, in, out, rng), name);
}

// basicsr ResidualDenseBlock: five convs over growing concatenations, out * 0.2 + x.
Value dense_block(Graph& g, Value x, int64_t nf, int64_t gc, std::mt19937& rng, const std::string& prefix) {
  std::vector<Value> features = {x};
  for (int i = 1; i <= 4; ++i) {
    Value cat = features.size() == 1 ? x : g.concat(features, 1);
    Value y = conv3x3(g, cat, nf + gc * (i - 1), gc, rng, prefix + ".conv" + std::to_string(i));
    features.push_back(g.leaky_relu(y, 0.2f));
  }
  Value x5 = conv3x3(g, g.concat(features, 1), nf + 4 * gc, nf, rng, prefix + ".conv5");
  return g.add(g.scale(x5, 0.2f), x);
}

// conv_first (3 -> nf), two dense blocks, conv_last (nf -> 3): ESRGAN's trunk in miniature.
Graph small_rrdb(const Shape& input, int64_t nf, int64_t gc) {
  std::mt19937 rng(1234);
  Graph g;
  Value x = g.input("x", input);
  Value feat = conv3x3(g, x, input[1], nf, rng, "conv_first");
  Value body = dense_block(g, feat, nf, gc, rng, "rdb1");
  body = dense_block(g, body, nf, gc, rng, "rdb2");
  g.mark_output(conv3x3(g, g.leaky_relu(body, 0.2f), nf, 3, rng, "conv_last"));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  return g;
}

Tensor cpu_output(const Graph& graph, const Tensor& input, const PrepareOptions& options) {
  return testing::run_on("cpu", graph, {&input, 1}, options);
}

Tensor reference_output(const Graph& graph, const Tensor& input) {
  return testing::run_on("reference", graph, {&input, 1});
}

TEST(CpuBackendTest, DenseBlocksMatchReference) {
  const Graph graph = small_rrdb({1, 3, 20, 24}, 32, 16);
  std::mt19937 rng(7);
  const Tensor input = random_tensor({1, 3, 20, 24}, rng, 1.0f);
  const Tensor expected = reference_output(graph, input);
  EXPECT_LE(testing::relative_error(cpu_output(graph, input, {}), expected), 1e-5);
  PrepareOptions unfused;
  unfused.run_graph_passes = false;
  EXPECT_LE(testing::relative_error(cpu_output(graph, input, unfused), expected), 1e-5);
}

TEST(CpuBackendTest, DenseBlocksRunInPlaceOnJitKernels) {
  const Graph graph = small_rrdb({1, 3, 16, 16}, 64, 32);
  cpu::CpuBackend backend;
  // Direct kernels: on a map this small the Winograd scratchpad (~7 MiB, in the arena) would
  // dwarf the activations this test is about.
  auto exe = backend.prepare(graph, PrepareOptions{.winograd = false});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  auto* cpu_exe = dynamic_cast<cpu::CpuExecutable*>(exe->get());
  ASSERT_NE(cpu_exe, nullptr);
  int convs = 0;
  for (const std::string& step : cpu_exe->step_descriptions()) {
    SCOPED_TRACE(step);
    EXPECT_EQ(step.find(": concat "), std::string::npos) << "a dense-block concat was copied";
    EXPECT_EQ(step.find(" ref"), std::string::npos) << "oneDNN fell back to a reference kernel";
    EXPECT_EQ(step.find(": fallback"), std::string::npos) << "an op took the reference fallback";
    if (step.find(": convolution ") != std::string::npos) ++convs;
  }
  EXPECT_GE(convs, 12);
  // Activations share one arena, far smaller than every value side by side.
  size_t all_values = 0;
  for (const ValueInfo& info : cpu_exe->graph().value_info()) all_values += shape_numel(info.shape) * sizeof(float);
  EXPECT_LT(cpu_exe->arena_bytes(), all_values / 2);
}

TEST(CpuBackendTest, RerunsWithNewInputsReuseBuffers) {
  const Graph graph = small_rrdb({1, 3, 12, 12}, 32, 16);
  auto backend = create_backend("cpu");
  ASSERT_TRUE(backend.is_ok());
  auto exe = (*backend)->prepare(graph, {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  const size_t arena = (*exe)->arena_bytes();
  std::mt19937 rng(99);
  for (int run = 0; run < 3; ++run) {
    const Tensor input = random_tensor({1, 3, 12, 12}, rng, 1.0f);
    std::vector<Tensor> outputs(1);
    ASSERT_TRUE((*exe)->run({&input, 1}, outputs).is_ok());
    EXPECT_LE(testing::relative_error(outputs[0], reference_output(graph, input)), 1e-5) << "run " << run;
    EXPECT_EQ((*exe)->arena_bytes(), arena);
  }
}

TEST(CpuBackendTest, RunsAgainAfterReleasingItsBuffers) {
  const Graph graph = small_rrdb({1, 3, 20, 20}, 32, 16);  // 20 px: Winograd convs and their scratchpads too
  auto backend = create_backend("cpu");
  ASSERT_TRUE(backend.is_ok());
  auto exe = (*backend)->prepare(graph, {});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  std::mt19937 rng(98);
  for (int run = 0; run < 3; ++run) {
    (*exe)->release_buffers();  // the next run allocates the arena again
    const Tensor input = random_tensor({1, 3, 20, 20}, rng, 1.0f);
    std::vector<Tensor> outputs(1);
    ASSERT_TRUE((*exe)->run({&input, 1}, outputs).is_ok());
    EXPECT_LE(testing::relative_error(outputs[0], reference_output(graph, input)), 1e-5) << "run " << run;
  }
}

TEST(CpuBackendTest, ConcatsThatCannotBeInPlaceAreCopied) {
  std::mt19937 rng(5);
  Graph g;
  Value x = g.input("x", {2, 8, 10, 10});  // batch 2 and channels off the 16-block: no aliasing
  Value a = conv3x3(g, x, 8, 24, rng, "a");
  Value b = conv3x3(g, x, 8, 16, rng, "b");
  Value c = conv3x3(g, x, 8, 16, rng, "c");
  Value ab = g.concat({a, b}, 1);
  Value cb = g.concat({c, b}, 1);                   // b again, at another offset
  Value y = conv3x3(g, g.concat({ab, cb}, 1), 72, 16, rng, "y");
  g.mark_output(y);
  ASSERT_TRUE(g.status().is_ok());
  for (int64_t batch : {2, 1}) {
    auto graph = g.with_input_shapes({{batch, 8, 10, 10}});
    ASSERT_TRUE(graph.is_ok());
    const Tensor input = random_tensor({batch, 8, 10, 10}, rng, 1.0f);
    EXPECT_LE(testing::relative_error(cpu_output(*graph, input, {}), reference_output(*graph, input)), 1e-5)
        << "batch " << batch;
  }
}

TEST(CpuBackendTest, Bf16StaysWithinBf16Tolerance) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  const Graph graph = small_rrdb({1, 3, 20, 24}, 32, 16);
  std::mt19937 rng(11);
  const Tensor input = random_tensor({1, 3, 20, 24}, rng, 1.0f);
  PrepareOptions bf16;
  bf16.compute_dtype = DType::kBF16;
  const Tensor expected = reference_output(graph, input);
  const double error = testing::relative_error(cpu_output(graph, input, bf16), expected);
  // bf16 keeps 8 significant bits (relative step 2^-8 = 0.4%); 13 layers accumulate a few steps.
  EXPECT_LE(error, 3e-2);
  EXPECT_GT(error, 0.0) << "bf16 mode gave bit-identical fp32 results: was it really bf16?";
}

TEST(CpuBackendTest, RejectsOtherComputeDtypes) {
  const Graph graph = small_rrdb({1, 3, 8, 8}, 32, 16);
  cpu::CpuBackend backend;
  PrepareOptions fp16;
  fp16.compute_dtype = DType::kF16;
  EXPECT_EQ(backend.prepare(graph, fp16).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace upres::engine
