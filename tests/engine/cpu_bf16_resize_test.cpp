// Resize and pad in a bf16 plan: a convolution's blocked bf16 output is sampled in bf16 (summed in
// fp32, rounded once), with no reorder to fp32 and back around the native step, and the result
// stays within bf16 rounding of the reference backend, for every mode and on whole and partial
// channel blocks.
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

TEST(CpuBf16ResizeTest, BlockedBf16IsSampledWithoutReorders) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  std::mt19937 rng(43);
  const std::vector<Resampling> cases = {
      resize_by(ResizeMode::kBilinear, 2.0f),         resize_by(ResizeMode::kBilinear, 0.5f),
      resize_by(ResizeMode::kNearest, 2.0f),          resize_to(ResizeMode::kBilinear, 9, 37),
      resize_to(ResizeMode::kBilinear, 27, 11, true), resize_to(ResizeMode::kBicubic, 29, 40),
      PadAttrs{1, 1, 1, 1, PadMode::kReflect},        PadAttrs{1, 2, 3, 1, PadMode::kZero, 0.5f}};
  for (int64_t channels : {32, 24}) {
    for (size_t k = 0; k < cases.size(); ++k) {
      SCOPED_TRACE("channels " + std::to_string(channels) + " case " + std::to_string(k));
      const Graph g = conv_resample_conv(channels, cases[k], rng);
      ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
      const std::vector<Tensor> inputs = {random_tensor(g.shape(g.inputs()[0]), rng, 1.0f)};
      const Result<testing::CpuRun> bf16 = testing::run_on_cpu(g, inputs, {.compute_dtype = DType::kBF16});
      ASSERT_TRUE(bf16.is_ok()) << bf16.status().to_string();
      const double error = testing::relative_error(bf16->output, testing::run_on("reference", g, inputs));
      EXPECT_LE(error, 3e-2);
      EXPECT_GT(error, 0.0) << "bit-identical to fp32: was it really bf16?";
      int native = 0;
      for (const std::string& step : bf16->steps) {
        EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
        if (step.rfind("resize", 0) != 0 && step.rfind("pad", 0) != 0) continue;
        native += step.find(": native") != std::string::npos;
        if (channels == 32) {
          EXPECT_EQ(step.find(": reorder"), std::string::npos) << "bf16 input reordered: " << step;
        }
      }
      EXPECT_EQ(native, 1);
    }
  }
}

}  // namespace
}  // namespace upres::engine
