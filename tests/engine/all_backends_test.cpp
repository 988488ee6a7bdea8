// Every op on every built backend against the reference backend (STYLE habit 2): a backend is
// covered the day it registers in backend_registry.cpp. Each case runs twice on one Executable
// to check that reusing its buffers across runs (tiles) gives the same answer.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/backend_registry.h"
#include "op_case.h"
#include "op_fixtures_suite.h"

namespace upres::engine {
namespace {

// Non-reference backends may round differently (blocked kernels, Winograd): 1e-4 of the range.
constexpr double kBackendTolerance = 1e-4;

class AllBackendsTest : public testing::OpFixturesSuite {};

Result<Tensor> run_once(Backend& backend, const testing::BuiltCase& built, const PrepareOptions& options,
                        int runs) {
  UPRES_ASSIGN_OR_RETURN(auto exe, backend.prepare(built.graph, options));
  std::vector<Tensor> outputs(1);
  Tensor first;
  for (int run = 0; run < runs; ++run) {
    UPRES_RETURN_IF_ERROR(exe->run(built.inputs, outputs));
    if (run == 0) first = outputs[0].clone();
  }
  if (runs > 1 && first.to_f32() != outputs[0].to_f32()) {
    return internal_error("second run of the same Executable gave a different result");
  }
  return outputs[0];
}

TEST(BackendRegistryTest, ReferenceIsRegisteredFirst) {
  std::vector<std::string> names = backend_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "reference");
  EXPECT_EQ(create_backend("no-such-backend").status().code(), StatusCode::kNotFound);
}

TEST_F(AllBackendsTest, EveryOpMatchesReference) {
  auto cases = testing::load_op_cases(dir_);
  ASSERT_TRUE(cases.is_ok()) << cases.status().to_string();
  auto reference = create_backend("reference");
  ASSERT_TRUE(reference.is_ok());
  PrepareOptions unfused;
  unfused.run_graph_passes = false;
  for (const std::string& name : backend_names()) {
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << name << ": " << backend.status().to_string();
    for (const auto& op_case : *cases) {
      SCOPED_TRACE(name + " / " + op_case.name);
      auto built = testing::build_case(dir_, op_case);
      ASSERT_TRUE(built.is_ok()) << built.status().to_string();
      auto expected = run_once(**reference, *built, unfused, 1);
      ASSERT_TRUE(expected.is_ok()) << expected.status().to_string();
      auto actual = run_once(**backend, *built, PrepareOptions{}, 2);
      ASSERT_TRUE(actual.is_ok()) << actual.status().to_string();
      EXPECT_LE(testing::relative_error(*actual, *expected), name == "reference" ? 0.0 : kBackendTolerance);
    }
  }
}

TEST(BackendRegistryTest, UploadDownloadRoundTripAndBoundsChecks) {
  for (const std::string& name : backend_names()) {
    SCOPED_TRACE(name);
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok());
    std::vector<float> values = {1.0f, -2.5f, 3.25f, 1e-3f, 7.0f, -0.0f};
    auto src = Tensor::from_f32(values, {2, 3});
    ASSERT_TRUE(src.is_ok());
    auto buffer = (*backend)->allocate(64);
    ASSERT_TRUE(buffer.is_ok());
    EXPECT_EQ((*buffer)->size_bytes(), 64u);
    ASSERT_TRUE((*backend)->upload(*src, **buffer, 16).is_ok());
    auto dst = Tensor::zeros({2, 3});
    ASSERT_TRUE(dst.is_ok());
    ASSERT_TRUE((*backend)->download(**buffer, 16, *dst).is_ok());
    ASSERT_TRUE((*backend)->synchronize().is_ok());
    EXPECT_EQ(dst->to_f32(), values);
    EXPECT_FALSE((*backend)->upload(*src, **buffer, 48).is_ok()) << "24 bytes at 48 overrun 64";
    EXPECT_FALSE((*backend)->download(**buffer, 65, *dst).is_ok());
  }
}

// The run() contract of backend.h: inputs of any storage dtype, caller-given outputs written in
// place in their dtype, wrong shapes and counts rejected.
TEST(BackendRegistryTest, RunChecksArgumentsAndWritesGivenOutputs) {
  Graph g;
  g.mark_output(g.scale(g.relu(g.input("x", {1, 2, 2, 2})), 2.0f));
  std::vector<float> values = {-1.0f, 0.5f, 1.5f, -3.0f, 2.0f, 0.25f, -0.5f, 4.0f};
  auto input = Tensor::from_f32(values, {1, 2, 2, 2}, DType::kF16);
  ASSERT_TRUE(input.is_ok());
  for (const std::string& name : backend_names()) {
    SCOPED_TRACE(name);
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok());
    auto exe = (*backend)->prepare(g, {});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    EXPECT_EQ((*exe)->output_shapes(), (std::vector<Shape>{{1, 2, 2, 2}}));
    std::vector<Tensor> outputs = {*Tensor::zeros({1, 2, 2, 2}, DType::kBF16)};
    Tensor given = outputs[0];
    ASSERT_TRUE((*exe)->run({&*input, 1}, outputs).is_ok());
    EXPECT_EQ(given.raw(), outputs[0].raw()) << "written in place";
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(given.get(static_cast<int64_t>(i)), std::max(values[i], 0.0f) * 2);
    auto wrong = Tensor::zeros({1, 2, 2, 3});
    EXPECT_FALSE((*exe)->run({&*wrong, 1}, outputs).is_ok());
    std::vector<Tensor> two(2);
    EXPECT_FALSE((*exe)->run({&*input, 1}, two).is_ok());
    std::vector<Tensor> bad_output = {*Tensor::zeros({2, 2, 2, 2})};
    EXPECT_FALSE((*exe)->run({&*input, 1}, bad_output).is_ok());
  }
}

}  // namespace
}  // namespace upres::engine
