// CpuExecutable: a graph prepared for oneDNN. prepare() runs the graph passes, plans in-place
// concatenation, lowers each node to primitives (reordering weights once) and allocates one
// arena; run() only copies inputs in, replays the steps and copies outputs out (allocating the
// arena again first if release_buffers() gave it back).
// Not thread-safe: one run() at a time.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <vector>

#include "engine/backend.h"
#include "engine/cpu/execution_plan.h"

namespace upres::engine::cpu {

class CpuExecutable final : public Executable {
 public:
  static Result<std::unique_ptr<CpuExecutable>> create(const Graph& graph, const PrepareOptions& options,
                                                       const dnnl::engine& engine);

  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override;
  const std::vector<Shape>& input_shapes() const override { return input_shapes_; }
  const std::vector<Shape>& output_shapes() const override { return output_shapes_; }
  size_t arena_bytes() const override { return plan_->arena_bytes(); }
  void release_buffers() override { plan_->release_arena(); }
  void set_cancel_flag(const std::atomic<bool>* flag) override { cancel_ = flag; }

  // The layout activations keep between ops (chosen per CPU at prepare()).
  const ActivationLayout& activation_layout() const { return plan_->activations(); }
  // For tests and benchmarks: the graph as executed, and its steps as "label: kind impl", e.g.
  // "conv2d 'conv1': convolution jit:avx512_core" (impl ref* is oneDNN's slow fallback),
  // "label: native" for a host kernel of this backend, "label: fallback" for a reference kernel.
  const Graph& graph() const { return graph_; }
  std::vector<std::string> step_descriptions() const;
  // For benchmarks: replays the steps once on the arena as the last run() left it and returns
  // each step's seconds, in step_descriptions() order (empty on failure). Requires: one run() done.
  std::vector<double> profile_steps();

 private:
  CpuExecutable() = default;
  Status load_inputs(std::span<const Tensor> inputs);
  Status store_outputs(std::span<Tensor> outputs);

  Graph graph_;  // declared before plan_, which refers to it
  std::unique_ptr<ExecutionPlan> plan_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  int num_threads_ = 0;
  const std::atomic<bool>* cancel_ = nullptr;
  std::vector<Shape> input_shapes_;
  std::vector<Shape> output_shapes_;
};

}  // namespace upres::engine::cpu
