// CpuRun: what the cpu backend made of a graph (its steps) and what running them gave, for the
// cpu tests that check which kernels a graph lands on. Free functions; thread-compatible.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/backend.h"
#include "engine/graph.h"

namespace upres::engine::testing {

struct CpuRun {
  Tensor output;                   // output 0
  std::vector<std::string> steps;  // CpuExecutable::step_descriptions()
};

// Prepares `graph` on a cpu backend with `options` and runs it once on `inputs`; the error of the
// prepare or the run otherwise.
Result<CpuRun> run_on_cpu(const Graph& graph, std::span<const Tensor> inputs, const PrepareOptions& options);

// The steps the cpu backend lowers `graph` to under `options` (oneDNN implementation names,
// "native" for host kernels, "fallback" for reference kernels), without running them; empty,
// after a test failure, when it cannot prepare the graph.
std::vector<std::string> cpu_steps(const Graph& graph, const PrepareOptions& options = {});

}  // namespace upres::engine::testing
