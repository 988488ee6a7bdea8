// Winograd convolutions on the cpu backend: a Compact-style stack of 64-channel 3x3 convolutions
// (PReLU between them, a fused relu, a residual add) runs on a Winograd kernel where the CPU class
// has one (upres's own on AVX2 and AVX-512, winograd_step.h; oneDNN's where ours declines), matches
// the reference backend, and runs on the direct kernel when PrepareOptions::winograd is off;
// leaky relu and prelu are fused into upres's kernel; bf16 convolutions stay direct.
#include <gtest/gtest.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <random>
#include <string>

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/lowering.h"
#include "engine/cpu/winograd_step.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

// 20x28: not a multiple of Winograd's 4x4 output tiles, so the partial edge tiles are covered.
const Shape kInput{1, 3, 20, 28};

Graph compact_stack() {
  std::mt19937 rng(11);
  Graph g;
  Value x = g.input("x", kInput);
  Value feat = random_conv3x3(g, x, 3, 64, rng);  // 3 input channels: direct
  Value body = feat;
  for (int i = 0; i < 3; ++i) body = g.prelu(random_conv3x3(g, body, 64, 64, rng), random_tensor({64}, rng, 0.3f));
  body = g.relu(random_conv3x3(g, body, 64, 64, rng));
  body = g.add(random_conv3x3(g, body, 64, 64, rng), feat);  // a residual sum post-op
  g.mark_output(random_conv3x3(g, body, 64, 16, rng));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  return g;
}

int count_steps(const cpu::CpuExecutable& exe, const std::string& what) {
  int n = 0;
  for (const std::string& step : exe.step_descriptions()) n += step.find(what) != std::string::npos;
  return n;
}

Tensor run(Executable& exe, const Tensor& input) {
  std::vector<Tensor> outputs(1);
  const Status status = exe.run({&input, 1}, outputs);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return outputs[0];
}

// Convolutions on a Winograd kernel: upres's native steps or oneDNN's jit_wino.
int winograd_steps(const cpu::CpuExecutable& exe) {
  int n = 0;
  for (const std::string& step : exe.step_descriptions()) {
    const bool native = step.rfind("conv2d", 0) == 0 && step.find(": native") != std::string::npos;
    n += native || step.find("wino") != std::string::npos;
  }
  return n;
}

bool cpu_has_winograd_kernel() { return cpu::native_winograd_isa(cpu::effective_isa()).has_value(); }

TEST(CpuWinogradTest, SixtyFourChannelConvsRunAsWinogradAndMatchTheReference) {
  const Graph graph = compact_stack();
  std::mt19937 rng(12);
  const Tensor input = random_tensor(kInput, rng, 1.0f);
  auto reference = (*create_backend("reference"))->prepare(graph, PrepareOptions{.run_graph_passes = false});
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  const Tensor expected = run(**reference, input);

  cpu::CpuBackend backend;
  auto exe = backend.prepare(graph, PrepareOptions{});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  const auto& cpu_exe = dynamic_cast<const cpu::CpuExecutable&>(**exe);
  EXPECT_EQ(count_steps(cpu_exe, " ref"), 0) << "oneDNN fell back to a reference kernel";
  if (cpu_has_winograd_kernel()) {
    EXPECT_NE(backend.describe().find("Winograd fp32 yes (upres"), std::string::npos) << backend.describe();
    // Every conv but the 3->64 one (too few channels). The one adding `feat` too: feat is read
    // twice, so it is copied into that conv's output and summed there (Winograd takes no binary
    // post-op).
    EXPECT_EQ(winograd_steps(cpu_exe), 6) << "the 3x3 convolutions of 16+ channels did not run as Winograd";
  }
  for (int repeat = 0; repeat < 2; ++repeat) {
    EXPECT_LE(testing::relative_error(run(**exe, input), expected), 1e-5) << "run " << repeat;
  }

  auto direct = backend.prepare(graph, PrepareOptions{.winograd = false});
  ASSERT_TRUE(direct.is_ok()) << direct.status().to_string();
  EXPECT_EQ(winograd_steps(dynamic_cast<const cpu::CpuExecutable&>(**direct)), 0);
  EXPECT_LE(testing::relative_error(run(**direct, input), expected), 1e-5);
}

// RRDBNet's dense blocks: convs reading growing concat views and writing into them, with leaky
// relu, residuals read again (copied into the conv's output) and the folded RRDB residual.
TEST(CpuWinogradTest, RrdbTrunkRunsOnWinogradAndMatchesTheReference) {
  const Shape shape{1, 3, 20, 24};
  const Graph graph = rrdb_trunk(shape, 64, 32);
  ASSERT_TRUE(graph.status().is_ok()) << graph.status().to_string();
  cpu::CpuBackend backend;
  auto exe = backend.prepare(graph, PrepareOptions{});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  const auto& cpu_exe = dynamic_cast<const cpu::CpuExecutable&>(**exe);
  EXPECT_EQ(count_steps(cpu_exe, " ref"), 0);
  EXPECT_EQ(count_steps(cpu_exe, ": concat "), 0) << "a concat was copied instead of written in place";
  if (cpu_has_winograd_kernel()) {
    EXPECT_EQ(winograd_steps(cpu_exe), 2 * 3 * 5 + 1) << "all but conv_first";
  }
  auto reference = (*create_backend("reference"))->prepare(graph, PrepareOptions{.run_graph_passes = false});
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  std::mt19937 rng(14);
  for (int repeat = 0; repeat < 2; ++repeat) {  // copied residuals must not leak into the next run
    const Tensor input = random_tensor(shape, rng, 1.0f);
    EXPECT_LE(testing::relative_error(run(**exe, input), run(**reference, input)), 1e-5) << "run " << repeat;
  }
}

// Leaky relu, alone and after a residual sum (leaky(conv(x) + r)), is fused into upres's Winograd
// kernel (oneDNN's lacks it as a post-op); bf16 convs stay direct.
TEST(CpuWinogradTest, LeakyReluIsFusedIntoTheWinogradConvAndBf16StaysDirect) {
  std::mt19937 rng(13);
  Graph g;
  Value x = g.input("x", kInput);
  Value feat = random_conv3x3(g, x, 3, 32, rng);
  Value y = g.leaky_relu(random_conv3x3(g, feat, 32, 32, rng), 0.2f);
  y = g.leaky_relu(g.add(random_conv3x3(g, y, 32, 32, rng), feat), 0.1f);
  g.mark_output(y);
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  const Tensor input = random_tensor(kInput, rng, 1.0f);
  auto reference = (*create_backend("reference"))->prepare(g, PrepareOptions{.run_graph_passes = false});
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  cpu::CpuBackend backend;
  auto exe = backend.prepare(g, PrepareOptions{});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  const auto& cpu_exe = dynamic_cast<const cpu::CpuExecutable&>(**exe);
  EXPECT_EQ(count_steps(cpu_exe, " ref"), 0);
  if (cpu_has_winograd_kernel()) {
    EXPECT_EQ(winograd_steps(cpu_exe), 2);
    EXPECT_EQ(count_steps(cpu_exe, ": eltwise "), 0) << "a leaky relu ran apart from its conv";
  }
  EXPECT_LE(testing::relative_error(run(**exe, input), run(**reference, input)), 1e-5);
  if (!cpu::has_native_bf16()) return;
  auto bf16 = backend.prepare(compact_stack(), PrepareOptions{.compute_dtype = DType::kBF16});
  ASSERT_TRUE(bf16.is_ok()) << bf16.status().to_string();
  EXPECT_EQ(winograd_steps(dynamic_cast<const cpu::CpuExecutable&>(**bf16)), 0);
}

// PReLU (SRVGGNetCompact's activation; oneDNN 2.6 has no prelu post-op) is fused into upres's
// Winograd kernel, per channel or one slope, also as s * prelu(c) + r; a conv the kernel declines
// (3 input channels, 1x1, Winograd off, bf16) runs with its prelu as a oneDNN pass in place, the
// residual after it added by a binary. Nothing falls to a reference kernel.
TEST(CpuWinogradTest, PreluIsFusedIntoTheWinogradConvAndRunsInPlaceElsewhere) {
  std::mt19937 rng(15);
  Graph g;
  Value x = g.input("x", kInput);
  Value feat = g.prelu(random_conv3x3(g, x, 3, 32, rng), random_tensor({32}, rng, 0.5f));
  Value y = g.prelu(random_conv3x3(g, feat, 32, 32, rng), random_tensor({32}, rng, 0.5f));
  y = g.add(g.scale(g.prelu(random_conv3x3(g, y, 32, 32, rng), random_tensor({1}, rng, 0.5f)), 0.5f), feat);
  Value pointwise = g.conv2d(y, random_tensor({32, 32, 1, 1}, rng, 0.2f), random_tensor({32}, rng, 0.1f));
  g.mark_output(g.add(g.prelu(pointwise, random_tensor({32}, rng, 0.5f)), y));
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  const Tensor input = random_tensor(kInput, rng, 1.0f);
  auto reference = (*create_backend("reference"))->prepare(g, PrepareOptions{.run_graph_passes = false});
  ASSERT_TRUE(reference.is_ok()) << reference.status().to_string();
  const Tensor expected = run(**reference, input);
  const size_t fallbacks = cpu::reference_fallback_nodes();
  cpu::CpuBackend backend;
  for (const bool winograd : {true, false}) {
    auto exe = backend.prepare(g, PrepareOptions{.winograd = winograd});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    const auto& cpu_exe = dynamic_cast<const cpu::CpuExecutable&>(**exe);
    EXPECT_EQ(count_steps(cpu_exe, " ref"), 0) << "winograd " << winograd;
    const int prelu_passes = count_steps(cpu_exe, ": prelu");
    if (!winograd) {
      EXPECT_EQ(prelu_passes, 4);
    }
    if (winograd && cpu_has_winograd_kernel()) {
      EXPECT_EQ(winograd_steps(cpu_exe), 2);
      EXPECT_EQ(prelu_passes, 2) << "a prelu ran apart from its Winograd conv";
    }
    EXPECT_LE(testing::relative_error(run(**exe, input), expected), 1e-5) << "winograd " << winograd;
  }
  EXPECT_EQ(cpu::reference_fallback_nodes(), fallbacks) << "a conv with prelu took the reference fallback";
  if (!cpu::has_native_bf16()) return;
  auto bf16 = backend.prepare(g, PrepareOptions{.compute_dtype = DType::kBF16});
  ASSERT_TRUE(bf16.is_ok()) << bf16.status().to_string();
  EXPECT_EQ(count_steps(dynamic_cast<const cpu::CpuExecutable&>(**bf16), ": prelu"), 4);
  EXPECT_LE(testing::relative_error(run(**bf16, input), expected), 3e-2);
}


// Winograd holds its weights transformed at 36 positions (4x the direct kernel's): a 512-channel
// conv on a 16 px map (GFPGAN's decoder) stays direct, the same conv on 32 px and a 64-channel
// conv on 16 px run as Winograd (winograd_weight_memory.h).
TEST(CpuWinogradTest, WideConvsOnSmallMapsStayDirect) {
  struct Case {
    int64_t channels, side;
    int winograd;
  };
  for (const Case c : {Case{512, 16, 0}, Case{512, 32, 1}, Case{64, 16, 1}}) {
    SCOPED_TRACE(std::to_string(c.channels) + " channels at " + std::to_string(c.side) + " px");
    std::mt19937 rng(13);
    Graph g;
    g.mark_output(random_conv3x3(g, g.input("x", {1, c.channels, c.side, c.side}), c.channels, c.channels, rng));
    ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
    cpu::CpuBackend backend;
    auto exe = backend.prepare(g, PrepareOptions{});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    const auto& cpu_exe = dynamic_cast<const cpu::CpuExecutable&>(**exe);
    EXPECT_EQ(winograd_steps(cpu_exe), cpu_has_winograd_kernel() ? c.winograd : 0);
    EXPECT_EQ(count_steps(cpu_exe, " ref"), 0);
  }
}
}  // namespace
}  // namespace upres::engine
