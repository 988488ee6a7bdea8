// Every op of the reference backend against PyTorch (fixtures from tests/reference/engine_ops.py),
// and every OpKind must have at least one fixture case.
#include <gtest/gtest.h>

#include <set>

#include "engine/backend_registry.h"
#include "op_case.h"
#include "op_fixtures_suite.h"

namespace upres::engine {
namespace {

using testing::build_case;
using testing::relative_error;

class ReferenceOpsTest : public testing::OpFixturesSuite {};

// Runs a built case on the reference backend; returns the relative error against PyTorch.
double run_reference(testing::BuiltCase& built, const PrepareOptions& options) {
  auto backend = create_backend("reference");
  EXPECT_TRUE(backend.is_ok());
  auto exe = (*backend)->prepare(built.graph, options);
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  if (!exe.is_ok()) return 1e9;
  std::vector<Tensor> outputs(1);
  Status status = (*exe)->run(built.inputs, outputs);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return relative_error(outputs[0], built.expected);
}

TEST_F(ReferenceOpsTest, EveryOpMatchesPytorch) {
  auto cases = testing::load_op_cases(dir_);
  ASSERT_TRUE(cases.is_ok()) << cases.status().to_string();
  ASSERT_GE(cases->size(), 60u);
  PrepareOptions unfused;
  unfused.run_graph_passes = false;
  for (const auto& op_case : *cases) {
    SCOPED_TRACE(op_case.name);
    auto built = build_case(dir_, op_case);
    ASSERT_TRUE(built.is_ok()) << built.status().to_string();
    EXPECT_LE(run_reference(*built, unfused), op_case.tolerance);
  }
}

TEST_F(ReferenceOpsTest, EveryOpKindHasAFixture) {
  auto cases = testing::load_op_cases(dir_);
  ASSERT_TRUE(cases.is_ok());
  std::set<std::string> covered;
  for (const auto& op_case : *cases) {
    covered.insert(op_case.op);
    for (const auto& input : op_case.inputs) {
      if (input.is_constant) covered.insert("constant");
    }
  }
  for (int k = 0; k < kOpKindCount; ++k) {
    std::string name(op_kind_name(static_cast<OpKind>(k)));
    EXPECT_TRUE(covered.count(name)) << "no PyTorch fixture for op " << name;
  }
}

// Weights stored as bf16/fp16 are converted on load: the result matches PyTorch run on the same
// rounded weights (the rounding is the only difference, so the tolerance follows the dtype).
TEST_F(ReferenceOpsTest, HalfPrecisionWeightsAreConvertedOnLoad) {
  auto cases = testing::load_op_cases(dir_);
  ASSERT_TRUE(cases.is_ok());
  for (const auto& op_case : *cases) {
    if (op_case.name != "conv2d_k3_s1_p1_d1_g1") continue;
    for (DType dtype : {DType::kF16, DType::kBF16}) {
      auto built = build_case(dir_, op_case, dtype);
      ASSERT_TRUE(built.is_ok());
      double error = run_reference(*built, {});
      EXPECT_GT(error, 1e-7) << "rounded weights should change the output a little";
      EXPECT_LT(error, dtype == DType::kF16 ? 2e-3 : 1.5e-2);
    }
    return;
  }
  FAIL() << "case conv2d_k3_s1_p1_d1_g1 missing";
}

}  // namespace
}  // namespace upres::engine
