#include "cpu_run.h"

#include <gtest/gtest.h>

#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"

namespace upres::engine::testing {
namespace {

// The cpu backend's own Executable, whose steps the tests read.
Result<std::unique_ptr<Executable>> prepare_on_cpu(const Graph& graph, const PrepareOptions& options) {
  cpu::CpuBackend backend;
  UPRES_ASSIGN_OR_RETURN(std::unique_ptr<Executable> exe, backend.prepare(graph, options));
  if (dynamic_cast<cpu::CpuExecutable*>(exe.get()) == nullptr) {
    return internal_error("the cpu backend prepared something other than a CpuExecutable");
  }
  return exe;
}

std::vector<std::string> steps_of(const Executable& exe) {
  return dynamic_cast<const cpu::CpuExecutable&>(exe).step_descriptions();
}

}  // namespace

Result<CpuRun> run_on_cpu(const Graph& graph, std::span<const Tensor> inputs, const PrepareOptions& options) {
  UPRES_ASSIGN_OR_RETURN(std::unique_ptr<Executable> exe, prepare_on_cpu(graph, options));
  std::vector<Tensor> outputs(1);
  UPRES_RETURN_IF_ERROR(exe->run(inputs, outputs));
  return CpuRun{outputs[0], steps_of(*exe)};
}

std::vector<std::string> cpu_steps(const Graph& graph, const PrepareOptions& options) {
  auto exe = prepare_on_cpu(graph, options);
  EXPECT_TRUE(exe.is_ok()) << exe.status().to_string();
  return exe.is_ok() ? steps_of(**exe) : std::vector<std::string>{};
}

}  // namespace upres::engine::testing
