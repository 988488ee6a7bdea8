// ReferenceExecutable: prepare (passes, plan, weight conversion) and run (kernel per node).
#include "engine/reference/reference_executable.h"

#include <algorithm>

#include "engine/executable_inputs.h"
#include "engine/graph_passes.h"
#include "engine/reference/kernel.h"

namespace upres::engine::reference {
namespace {

// Values rounded through `dtype` storage (identity for fp32).
void round_to_storage(float* values, int64_t count, DType dtype) {
  if (dtype == DType::kF32) return;
  for (int64_t i = 0; i < count; ++i) {
    values[i] = dtype == DType::kBF16 ? bf16_to_float(float_to_bf16(values[i]))
                                      : half_to_float(float_to_half(values[i]));
  }
}

}  // namespace

Result<std::unique_ptr<ReferenceExecutable>> ReferenceExecutable::create(const Graph& graph,
                                                                         const PrepareOptions& options) {
  UPRES_RETURN_IF_ERROR(graph.status());
  if (!is_tensor_dtype(options.compute_dtype)) return unsupported("reference: compute dtype");
  auto exe = std::unique_ptr<ReferenceExecutable>(new ReferenceExecutable());
  exe->graph_ = graph;
  exe->options_ = options;
  if (options.run_graph_passes) UPRES_RETURN_IF_ERROR(optimize_graph(exe->graph_));
  UPRES_RETURN_IF_ERROR(exe->graph_.validate());
  if (exe->graph_.outputs().empty()) return invalid_argument("reference: graph has no outputs");
  for (const Node& node : exe->graph_.nodes()) {
    if (find_kernel(node.kind) == nullptr) {
      return unsupported("reference: no kernel for " + std::string(op_kind_name(node.kind)) + " '" + node.name + "'");
    }
    std::vector<std::vector<float>> converted;
    for (const Tensor& tensor : node.constants) {
      std::vector<float> values = tensor.is_defined() ? tensor.to_f32() : std::vector<float>{};
      round_to_storage(values.data(), static_cast<int64_t>(values.size()), options.compute_dtype);
      converted.push_back(std::move(values));
    }
    exe->constants_.push_back(std::move(converted));
  }
  UPRES_ASSIGN_OR_RETURN(exe->plan_, plan_buffers(exe->graph_, sizeof(float)));
  exe->arena_.assign(exe->plan_.peak_bytes / sizeof(float), 0.0f);
  exe->input_index_.assign(exe->graph_.value_info().size(), -1);
  for (size_t i = 0; i < exe->graph_.inputs().size(); ++i) {
    Value input = exe->graph_.inputs()[i];
    exe->input_index_[static_cast<size_t>(input.id)] = static_cast<int>(i);
    exe->input_shapes_.push_back(exe->graph_.shape(input));
    exe->staged_inputs_.emplace_back(static_cast<size_t>(shape_numel(exe->graph_.shape(input))));
  }
  for (Value output : exe->graph_.outputs()) exe->output_shapes_.push_back(exe->graph_.shape(output));
  return exe;
}

const float* ReferenceExecutable::value_data(Value value) const {
  int input = input_index_[static_cast<size_t>(value.id)];
  if (input >= 0) return staged_inputs_[static_cast<size_t>(input)].data();
  return arena_.data() + plan_.offset_bytes[static_cast<size_t>(value.id)] / static_cast<int64_t>(sizeof(float));
}

Status ReferenceExecutable::load_inputs(std::span<const Tensor> inputs) {
  UPRES_RETURN_IF_ERROR(check_run_inputs(inputs, input_shapes_, graph_.input_names()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    std::vector<float>& staged = staged_inputs_[i];  // sized at prepare, reused every run
    for (int64_t k = 0; k < input.numel(); ++k) staged[static_cast<size_t>(k)] = input.get(k);
    round_to_storage(staged.data(), input.numel(), options_.compute_dtype);
  }
  return Status::ok();
}

Status ReferenceExecutable::run_node(size_t index) {
  const Node& node = graph_.nodes()[index];
  KernelArgs args{node, {}, {}, constants_[index], nullptr, graph_.shape(node.output)};
  for (Value input : node.inputs) {
    args.inputs.push_back(value_data(input));
    args.input_shapes.push_back(graph_.shape(input));
  }
  args.output = const_cast<float*>(value_data(node.output));
  Status status = find_kernel(node.kind)(args);
  if (!status.is_ok()) return status.with_context(std::string(op_kind_name(node.kind)) + " '" + node.name + "'");
  round_to_storage(args.output, shape_numel(args.output_shape), options_.compute_dtype);
  return Status::ok();
}

Status ReferenceExecutable::store_outputs(std::span<Tensor> outputs) const {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Shape& shape = output_shapes_[i];
    if (!outputs[i].is_defined()) {
      UPRES_ASSIGN_OR_RETURN(outputs[i], Tensor::zeros(shape, DType::kF32));
    } else if (outputs[i].shape() != shape || outputs[i].layout() != Layout::kNchw) {
      return invalid_argument("run: output " + std::to_string(i) + " must have shape " + shape_to_string(shape));
    }
    const float* values = value_data(graph_.outputs()[i]);
    for (int64_t k = 0; k < shape_numel(shape); ++k) outputs[i].set(k, values[k]);
  }
  return Status::ok();
}

Status ReferenceExecutable::run(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  if (outputs.size() != output_shapes_.size()) {
    return invalid_argument("run: " + std::to_string(outputs.size()) + " outputs for " +
                            std::to_string(output_shapes_.size()) + " graph outputs");
  }
  UPRES_RETURN_IF_ERROR(load_inputs(inputs));
  for (size_t i = 0; i < graph_.nodes().size(); ++i) {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed))
      return cancelled("interrupted at " + graph_.nodes()[i].name);
    UPRES_RETURN_IF_ERROR(run_node(i));
  }
  return store_outputs(outputs);
}

}  // namespace upres::engine::reference
