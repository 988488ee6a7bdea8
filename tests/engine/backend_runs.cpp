#include "backend_runs.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/backend_registry.h"

namespace upres::engine::testing {

Tensor run_on(const std::string& backend_name, const Graph& graph, std::span<const Tensor> inputs,
              const PrepareOptions& options) {
  auto backend = create_backend(backend_name);
  EXPECT_TRUE(backend.is_ok()) << backend.status().to_string();
  if (!backend.is_ok()) return Tensor();
  auto exe = (*backend)->prepare(graph, options);
  EXPECT_TRUE(exe.is_ok()) << backend_name << ": " << exe.status().to_string();
  if (!exe.is_ok()) return Tensor();
  std::vector<Tensor> outputs(1);
  const Status status = (*exe)->run(inputs, outputs);
  EXPECT_TRUE(status.is_ok()) << backend_name << ": " << status.to_string();
  return outputs[0];
}

Tensor run_on(const std::string& backend_name, const Graph& graph, std::span<const Tensor> inputs) {
  PrepareOptions options;
  options.run_graph_passes = backend_name != "reference";
  return run_on(backend_name, graph, inputs, options);
}

}  // namespace upres::engine::testing
