// Ops fed by a convolution (nChw16c activations) on the cpu backend: broadcast add/mul ([1,C,1,1]
// and [1,1,H,W] operands), resize, pad and group norm against the reference backend, and that they
// stay on fast paths: no oneDNN `ref` kernel, no reorder of the blocked activation.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backend_runs.h"
#include "cpu_run.h"
#include "engine/cpu/cpu_isa.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

std::vector<Tensor> random_inputs(const Graph& graph, std::mt19937& rng) {
  std::vector<Tensor> inputs;
  for (Value input : graph.inputs()) inputs.push_back(random_tensor(graph.shape(input), rng, 1.0f));
  return inputs;
}

void expect_matches_reference(const Graph& graph, std::mt19937& rng) {
  ASSERT_TRUE(graph.status().is_ok()) << graph.status().to_string();
  const std::vector<Tensor> inputs = random_inputs(graph, rng);
  EXPECT_LE(testing::relative_error(testing::run_on("cpu", graph, inputs), testing::run_on("reference", graph, inputs)),
            1e-5);
}

// x -> conv (nChw16c) -> op(conv, operand) -> conv, operand a graph input or made by a conv.
// [1,C,1,1] and [1,1,H,W] must run on jit kernels; [1,C,H,1] only has to be right.
TEST(CpuBlockedInputsTest, BroadcastBinaryMatchesReferenceOnJitKernels) {
  std::mt19937 rng(21);
  for (int64_t channels : {32, 24}) {
    for (const Shape& operand : {Shape{1, channels, 1, 1}, Shape{1, 1, 20, 24}, Shape{1, channels, 20, 1}}) {
      for (bool mul : {false, true}) {
        for (bool operand_first : {false, true}) {
          SCOPED_TRACE("channels " + std::to_string(channels) + " operand " + shape_to_string(operand) +
                       (mul ? " mul" : " add") + (operand_first ? " operand first" : ""));
          Graph g;
          Value x = random_conv3x3(g, g.input("x", {1, 8, 20, 24}), 8, channels, rng);
          Value b = g.input("b", operand);
          Value y = operand_first ? (mul ? g.mul(b, x) : g.add(b, x)) : (mul ? g.mul(x, b) : g.add(x, b));
          g.mark_output(random_conv3x3(g, y, channels, 16, rng));
          expect_matches_reference(g, rng);
          if (operand[2] == 20 && operand[3] == 1) continue;  // [1,C,H,1]: oneDNN 2.6 has only `ref`
          for (const std::string& step : testing::cpu_steps(g)) EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
        }
      }
    }
  }
}

TEST(CpuBlockedInputsTest, BroadcastOperandsFromConvolutionsStayBlocked) {
  std::mt19937 rng(22);
  Graph g;
  Value x = random_conv3x3(g, g.input("x", {1, 8, 18, 18}), 8, 32, rng);
  Value per_channel = g.global_avg_pool(random_conv3x3(g, x, 32, 32, rng));  // [1, 32, 1, 1]
  Value spatial = g.sigmoid(random_conv3x3(g, x, 32, 1, rng));                // [1, 1, 18, 18]
  g.mark_output(random_conv3x3(g, g.add(g.mul(x, spatial), per_channel), 32, 16, rng));
  expect_matches_reference(g, rng);
  for (const std::string& step : testing::cpu_steps(g)) {
    EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
    EXPECT_EQ(step.find(": fallback"), std::string::npos) << step;
  }
}

// conv (nChw16c) -> resize or pad -> conv, for every mode, with whole and partial 16-blocks.
TEST(CpuBlockedInputsTest, ResizeAndPadMatchReference) {
  std::mt19937 rng(23);
  const std::vector<Resampling> cases = {
      resize_by(ResizeMode::kNearest, 2.0f),          resize_to(ResizeMode::kNearest, 13, 31),
      resize_by(ResizeMode::kBilinear, 2.0f),         resize_to(ResizeMode::kBilinear, 9, 37),
      resize_to(ResizeMode::kBilinear, 27, 11, true), resize_by(ResizeMode::kBilinear, 0.5f),
      resize_to(ResizeMode::kBicubic, 29, 40),        resize_to(ResizeMode::kBicubic, 29, 40, true),
      PadAttrs{1, 1, 1, 1, PadMode::kReflect},        PadAttrs{3, 0, 2, 5, PadMode::kReflect},
      PadAttrs{2, 1, 0, 3, PadMode::kReplicate},      PadAttrs{1, 2, 3, 1, PadMode::kZero, 0.5f},
      PadAttrs{0, 2, 1, 0, PadMode::kZero},           PadAttrs{4, 4, 4, 4, PadMode::kReplicate}};
  for (int64_t channels : {32, 24}) {
    for (size_t k = 0; k < cases.size(); ++k) {
      SCOPED_TRACE("channels " + std::to_string(channels) + " case " + std::to_string(k));
      const Graph g = conv_resample_conv(channels, cases[k], rng);
      expect_matches_reference(g, rng);
      int host_steps = 0;
      for (const std::string& step : testing::cpu_steps(g)) {
        if (step.rfind("resize", 0) != 0 && step.rfind("pad", 0) != 0) continue;
        if (channels == 32) {
          EXPECT_EQ(step.find(": reorder"), std::string::npos) << "blocked input reordered: " << step;
        }
        host_steps += step.find(": native") != std::string::npos;
      }
      EXPECT_EQ(host_steps, 1);
    }
  }
}

// conv (nChw16c or plain) -> group norm -> conv: VQGAN's 32 groups, one group, partial
// 16-blocks, no affine parameters, and activations far from zero mean (one-pass statistics).
TEST(CpuBlockedInputsTest, GroupNormMatchesReference) {
  std::mt19937 rng(25);
  struct Case {
    int64_t channels;
    int groups;
    bool affine;
    float shift;
  };
  for (const Case& c : {Case{64, 32, true, 0.0f}, Case{32, 1, true, 0.0f}, Case{24, 8, true, 0.0f},
                        Case{48, 16, false, 0.0f}, Case{32, 32, true, 40.0f}}) {
    SCOPED_TRACE("channels " + std::to_string(c.channels) + " groups " + std::to_string(c.groups));
    Graph g;
    Value x = g.scale(random_conv3x3(g, g.input("x", {1, 8, 17, 21}), 8, c.channels, rng), 3.0f, c.shift);
    Tensor weight = c.affine ? random_tensor({c.channels}, rng, 2.0f) : Tensor();
    Tensor bias = c.affine ? random_tensor({c.channels}, rng, 1.0f) : Tensor();
    Value y = g.group_norm(x, weight, bias, {.groups = c.groups, .eps = 1e-6f});
    g.mark_output(random_conv3x3(g, y, c.channels, 16, rng));
    expect_matches_reference(g, rng);
    for (const std::string& step : testing::cpu_steps(g)) {
      if (step.rfind("group_norm", 0) != 0 || c.channels % 16 != 0) continue;
      EXPECT_EQ(step.find(": reorder"), std::string::npos) << "blocked input reordered: " << step;
    }
  }
}

// bf16 compute: blocked bf16 activations feed the broadcast binary (jit, bf16 operand) and the
// native kernels (via an fp32 blocked copy); the result stays within bf16 rounding.
TEST(CpuBlockedInputsTest, Bf16ActivationsStayOnFastPaths) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  std::mt19937 rng(26);
  Graph g;
  Value x = random_conv3x3(g, g.input("x", {1, 8, 18, 18}), 8, 32, rng);
  Value per_channel = g.global_avg_pool(random_conv3x3(g, x, 32, 32, rng));
  Value y = g.add(g.mul(x, g.sigmoid(random_conv3x3(g, x, 32, 1, rng))), per_channel);
  y = g.group_norm(g.pad(y, {1, 1, 1, 1, PadMode::kReflect}), random_tensor({32}, rng, 1.0f),
                   random_tensor({32}, rng, 1.0f), {.groups = 8});
  g.mark_output(random_conv3x3(g, g.resize(y, resize_by(ResizeMode::kBilinear, 2.0f)), 32, 16, rng));
  ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
  const std::vector<Tensor> inputs = random_inputs(g, rng);
  const Result<testing::CpuRun> bf16 = testing::run_on_cpu(g, inputs, {.compute_dtype = DType::kBF16});
  ASSERT_TRUE(bf16.is_ok()) << bf16.status().to_string();
  const double error = testing::relative_error(bf16->output, testing::run_on("reference", g, inputs));
  EXPECT_LE(error, 3e-2);
  EXPECT_GT(error, 0.0) << "bit-identical to fp32: was it really bf16?";
  for (const std::string& step : bf16->steps) EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
}

// Sizes where the row, chunk and plane split across threads matters: ParseNet's reflect pad and a
// 2x bilinear upsampling on 64 channels of 128x128, each followed by VQGAN's group norm.
TEST(CpuBlockedInputsTest, LargeResizePadAndGroupNormMatchReference) {
  std::mt19937 rng(24);
  for (int variant = 0; variant < 2; ++variant) {
    Graph g;
    Value x = g.relu(random_conv3x3(g, g.input("x", {1, 3, 128, 128}), 3, 64, rng));
    Value y = variant == 0 ? g.pad(x, {1, 1, 1, 1, PadMode::kReflect})
                           : g.resize(x, resize_by(ResizeMode::kBilinear, 2.0f));
    y = g.group_norm(y, random_tensor({64}, rng, 1.0f), random_tensor({64}, rng, 1.0f), {.groups = 32});
    g.mark_output(y);
    expect_matches_reference(g, rng);
  }
}

}  // namespace
}  // namespace upres::engine
