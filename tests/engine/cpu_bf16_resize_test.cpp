// Resize and pad in a bf16 plan: a convolution's blocked bf16 output is sampled in bf16 (summed in
// fp32, rounded once), with no reorder to fp32 and back around the native step, and the result
// stays within bf16 rounding of the reference backend, for every mode and on whole and partial
// channel blocks.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/cpu_isa.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

Tensor run_reference(const Graph& graph, const std::vector<Tensor>& inputs) {
  auto backend = create_backend("reference");
  EXPECT_TRUE(backend.is_ok());
  PrepareOptions options;
  options.run_graph_passes = false;
  auto exe = (*backend)->prepare(graph, options);
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  std::vector<Tensor> outputs(1);
  EXPECT_TRUE((*exe)->run(inputs, outputs).is_ok());
  return outputs[0];
}

TEST(CpuBf16ResizeTest, BlockedBf16IsSampledWithoutReorders) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  std::mt19937 rng(43);
  const std::vector<ResizeAttrs> resizes = {
      resize_by(ResizeMode::kBilinear, 2.0f),  resize_by(ResizeMode::kBilinear, 0.5f),
      resize_by(ResizeMode::kNearest, 2.0f),   resize_to(ResizeMode::kBilinear, 9, 37),
      resize_to(ResizeMode::kBilinear, 27, 11, true), resize_to(ResizeMode::kBicubic, 29, 40)};
  const std::vector<PadAttrs> pads = {{1, 1, 1, 1, PadMode::kReflect}, {1, 2, 3, 1, PadMode::kZero, 0.5f}};
  for (int64_t channels : {32, 24}) {
    for (size_t k = 0; k < resizes.size() + pads.size(); ++k) {
      SCOPED_TRACE("channels " + std::to_string(channels) + " case " + std::to_string(k));
      Graph g;
      Value x = random_conv3x3(g, g.input("x", {1, 8, 15, 19}), 8, channels, rng);
      Value y = k < resizes.size() ? g.resize(x, resizes[k]) : g.pad(x, pads[k - resizes.size()]);
      g.mark_output(random_conv3x3(g, y, channels, 16, rng));
      ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
      const std::vector<Tensor> inputs = {random_tensor(g.shape(g.inputs()[0]), rng, 1.0f)};
      PrepareOptions bf16;
      bf16.compute_dtype = DType::kBF16;
      cpu::CpuBackend backend;
      auto exe = backend.prepare(g, bf16);
      ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
      std::vector<Tensor> outputs(1);
      ASSERT_TRUE((*exe)->run(inputs, outputs).is_ok());
      const double error = testing::relative_error(outputs[0], run_reference(g, inputs));
      EXPECT_LE(error, 3e-2);
      EXPECT_GT(error, 0.0) << "bit-identical to fp32: was it really bf16?";
      int native = 0;
      for (const std::string& step : dynamic_cast<cpu::CpuExecutable*>(exe->get())->step_descriptions()) {
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
