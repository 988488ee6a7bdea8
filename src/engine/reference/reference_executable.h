// ReferenceExecutable: a graph prepared for the reference kernels. Every intermediate value lives
// in one fp32 arena at the offset plan_buffers() gave it; weights are converted to fp32 once.
// With compute_dtype bf16/fp16 each value is rounded to that dtype after its op (emulating the
// storage). Not thread-safe: one run() at a time.
#pragma once

#include <memory>
#include <vector>

#include "engine/backend.h"
#include "engine/buffer_plan.h"

namespace upres::engine::reference {

class ReferenceExecutable final : public Executable {
 public:
  static Result<std::unique_ptr<ReferenceExecutable>> create(const Graph& graph, const PrepareOptions& options);

  Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) override;
  const std::vector<Shape>& input_shapes() const override { return input_shapes_; }
  const std::vector<Shape>& output_shapes() const override { return output_shapes_; }
  size_t arena_bytes() const override { return plan_.peak_bytes; }
  void set_cancel_flag(const std::atomic<bool>* flag) override { cancel_ = flag; }

  // The graph as executed (after passes) and its plan, for tests.
  const Graph& graph() const { return graph_; }
  const BufferPlan& plan() const { return plan_; }

 private:
  ReferenceExecutable() = default;
  Status load_inputs(std::span<const Tensor> inputs);
  const float* value_data(Value value) const;
  Status run_node(size_t index);
  Status store_outputs(std::span<Tensor> outputs) const;

  Graph graph_;
  PrepareOptions options_;
  BufferPlan plan_;
  std::vector<float> arena_;
  std::vector<std::vector<std::vector<float>>> constants_;  // per node, fp32
  std::vector<std::vector<float>> staged_inputs_;           // per graph input, fp32
  std::vector<int> input_index_;                            // value id -> graph input index or -1
  std::vector<Shape> input_shapes_;
  std::vector<Shape> output_shapes_;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace upres::engine::reference
