// Running a graph once on a backend chosen by name, for the tests that compare backends: a backend
// that cannot be created, prepare the graph or run it is a test failure, and the output is then
// undefined (which fails any comparison). Free functions; thread-compatible.
#pragma once

#include <span>
#include <string>

#include "engine/backend.h"
#include "engine/graph.h"

namespace upres::engine::testing {

// Prepares `graph` on `backend_name` with `options`, runs it on `inputs` and returns output 0.
Tensor run_on(const std::string& backend_name, const Graph& graph, std::span<const Tensor> inputs,
              const PrepareOptions& options);

// The same with the graph passes on, except on the reference backend: the oracle runs the graph as
// it was written, the backend under test as users run it.
Tensor run_on(const std::string& backend_name, const Graph& graph, std::span<const Tensor> inputs);

}  // namespace upres::engine::testing
