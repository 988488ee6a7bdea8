// The input check of Executable::run() (engine/executable_inputs.h), alone and in every built
// backend: a wrong count, an undefined tensor or a wrong shape is InvalidArgument naming it, and
// inputs that match run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "engine/executable_inputs.h"

namespace upres::engine {
namespace {

Tensor zeros(const Shape& shape) { return Tensor::zeros(shape).value(); }

// The check's verdict on `inputs` for a graph with inputs "x" [1, 3, 4, 4] and "y" [1, 1, 2, 2].
Status check_two_inputs(const std::vector<Tensor>& inputs) {
  return check_run_inputs(inputs, {{1, 3, 4, 4}, {1, 1, 2, 2}}, {"x", "y"});
}

TEST(ExecutableInputsTest, NamesTheCountOrTheFirstInputThatDoesNotMatch) {
  EXPECT_TRUE(check_two_inputs({zeros({1, 3, 4, 4}), zeros({1, 1, 2, 2})}).is_ok());
  EXPECT_TRUE(check_two_inputs({zeros({1, 3, 4, 4}), Tensor::zeros({1, 1, 2, 2}, DType::kBF16).value()}).is_ok())
      << "any tensor dtype is converted";

  const Status too_few = check_two_inputs({zeros({1, 3, 4, 4})});
  EXPECT_EQ(too_few.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(too_few.message(), "run: 1 inputs for 2 graph inputs");

  const Status wrong_shape = check_two_inputs({zeros({1, 3, 4, 4}), zeros({1, 1, 2, 3})});
  EXPECT_EQ(wrong_shape.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong_shape.message(), "run: input 'y' must be a kNchw tensor of shape [1, 1, 2, 2]");

  const Status undefined = check_two_inputs({Tensor(), zeros({1, 1, 2, 3})});
  EXPECT_EQ(undefined.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(undefined.message(), "run: input 'x' must be a kNchw tensor of shape [1, 3, 4, 4]");
}

TEST(ExecutableInputsTest, EveryBackendRefusesInputsThatDoNotMatchItsGraph) {
  Graph graph;
  graph.mark_output(graph.relu(graph.input("picture", {1, 3, 4, 4})));
  ASSERT_TRUE(graph.status().is_ok()) << graph.status().to_string();
  for (const std::string& name : backend_names()) {
    SCOPED_TRACE(name);
    auto backend = create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto exe = (*backend)->prepare(graph, {});
    ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
    std::vector<Tensor> outputs(1);

    const Status none = (*exe)->run({}, outputs);
    EXPECT_EQ(none.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(none.message(), "run: 0 inputs for 1 graph inputs");

    const Tensor wrong = zeros({1, 3, 4, 5});
    const Status wrong_shape = (*exe)->run({&wrong, 1}, outputs);
    EXPECT_EQ(wrong_shape.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(wrong_shape.message(), "run: input 'picture' must be a kNchw tensor of shape [1, 3, 4, 4]");

    const Tensor right = zeros({1, 3, 4, 4});
    EXPECT_TRUE((*exe)->run({&right, 1}, outputs).is_ok());
  }
}

}  // namespace
}  // namespace upres::engine
