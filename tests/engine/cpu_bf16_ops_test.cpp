// Every op fixture of tests/reference/engine_ops.py on the cpu backend in bf16 mode (bf16
// storage, fp32 accumulation) against the fp32 reference backend, within a bf16 tolerance.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/backend_registry.h"
#include "engine/cpu/cpu_backend.h"
#include "op_case.h"

namespace upres::engine {
namespace {

// bf16 keeps 8 significant bits: each rounding is within 2^-9 relative; inputs, weights and the
// output are rounded once each, and a long dot product adds a little cancellation on top.
constexpr double kBf16Tolerance = 2e-2;

TEST(CpuBf16OpsTest, EveryOpWithinBf16Tolerance) {
  if (!cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16";
  auto dir = testing::generate_fixtures("engine_ops.py");
  ASSERT_TRUE(dir.is_ok()) << dir.status().to_string();
  auto cases = testing::load_op_cases(*dir);
  ASSERT_TRUE(cases.is_ok()) << cases.status().to_string();
  auto reference = create_backend("reference");
  auto cpu = create_backend("cpu");
  ASSERT_TRUE(reference.is_ok() && cpu.is_ok());
  PrepareOptions fp32;
  fp32.run_graph_passes = false;
  PrepareOptions bf16;
  bf16.compute_dtype = DType::kBF16;
  int bf16_differs = 0;
  for (const auto& op_case : *cases) {
    SCOPED_TRACE(op_case.name);
    auto built = testing::build_case(*dir, op_case);
    ASSERT_TRUE(built.is_ok()) << built.status().to_string();
    std::vector<Tensor> expected(1), actual(1);
    auto ref_exe = (*reference)->prepare(built->graph, fp32);
    ASSERT_TRUE(ref_exe.is_ok());
    ASSERT_TRUE((*ref_exe)->run(built->inputs, expected).is_ok());
    auto exe = (*cpu)->prepare(built->graph, bf16);
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    ASSERT_TRUE((*exe)->run(built->inputs, actual).is_ok());
    const double error = testing::relative_error(actual[0], expected[0]);
    EXPECT_LE(error, kBf16Tolerance);
    if (error > 1e-5) ++bf16_differs;
  }
  EXPECT_GT(bf16_differs, 10) << "almost nothing changed in bf16 mode: is it really computing in bf16?";
  std::filesystem::remove_all(*dir);
}

}  // namespace
}  // namespace upres::engine
