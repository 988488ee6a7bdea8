// CpuExecutable: prepare (passes, aliases, lowering, arena) and run (copy in, replay, copy out).
#include "engine/cpu/cpu_executable.h"

#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <cstring>

#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/lowering.h"
#include "engine/executable_inputs.h"
#include "engine/graph_passes.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;

// Runs `body` with oneDNN's OpenMP pool sized to `threads` (0: leave the default), restoring it.
template <typename Body>
auto with_threads(int threads, Body body) {
  const int saved = omp_get_max_threads();
  if (threads > 0) omp_set_num_threads(threads);
  auto result = body();
  if (threads > 0) omp_set_num_threads(saved);
  return result;
}

}  // namespace

Result<std::unique_ptr<CpuExecutable>> CpuExecutable::create(const Graph& graph, const PrepareOptions& options,
                                                             const dnnl::engine& engine) {
  UPRES_RETURN_IF_ERROR(graph.status());
  memory::data_type type = memory::data_type::f32;
  if (options.compute_dtype == DType::kBF16) {
    type = memory::data_type::bf16;
  } else if (options.compute_dtype != DType::kF32) {
    return unsupported("cpu: compute dtype " + std::string(dtype_name(options.compute_dtype)) + " (use float32 or bfloat16)");
  }
  auto exe = std::unique_ptr<CpuExecutable>(new CpuExecutable());
  exe->graph_ = graph;
  if (options.run_graph_passes) UPRES_RETURN_IF_ERROR(optimize_graph(exe->graph_));
  UPRES_RETURN_IF_ERROR(exe->graph_.validate());
  if (exe->graph_.outputs().empty()) return invalid_argument("cpu: graph has no outputs");
  exe->engine_ = engine;
  exe->stream_ = dnnl::stream(engine);
  exe->num_threads_ = options.num_threads;
  const ActivationLayout activations =
      ActivationLayout::choose(effective_isa(), type, options.cpu_layout);
  exe->plan_ = std::make_unique<ExecutionPlan>(exe->graph_, engine, type, options.winograd, activations);
  ExecutionPlan& plan = *exe->plan_;
  for (Value input : exe->graph_.inputs()) {
    exe->input_shapes_.push_back(exe->graph_.shape(input));
    plan.set_desc(input, plain_desc(exe->graph_.shape(input), memory::data_type::f32));
  }
  for (Value output : exe->graph_.outputs()) exe->output_shapes_.push_back(exe->graph_.shape(output));
  plan_concat_aliases(plan);
  Status lowered = with_threads(options.num_threads, [&] {
    for (const Node& node : exe->graph_.nodes()) UPRES_RETURN_IF_ERROR(lower_node(plan, node));
    return plan.bind();
  });
  UPRES_RETURN_IF_ERROR(lowered);
  return exe;
}

Status CpuExecutable::load_inputs(std::span<const Tensor> inputs) {
  UPRES_RETURN_IF_ERROR(check_run_inputs(inputs, input_shapes_, graph_.input_names()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    void* dst = plan_->memory_of(graph_.inputs()[i]).get_data_handle();
    if (input.dtype() == DType::kF32) {
      std::memcpy(dst, input.raw(), input.size_bytes());
    } else {
      const std::vector<float> values = input.to_f32();
      std::memcpy(dst, values.data(), values.size() * sizeof(float));
    }
  }
  return Status::ok();
}

Status CpuExecutable::store_outputs(std::span<Tensor> outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Shape& shape = output_shapes_[i];
    Tensor& out = outputs[i];
    if (!out.is_defined()) {
      UPRES_ASSIGN_OR_RETURN(out, Tensor::zeros(shape, DType::kF32));
    } else if (out.shape() != shape || out.layout() != Layout::kNchw || !is_tensor_dtype(out.dtype())) {
      return invalid_argument("run: output " + std::to_string(i) + " must be a kNchw tensor of shape " +
                              shape_to_string(shape));
    }
    const memory& value = plan_->memory_of(graph_.outputs()[i]);
    const bool direct = out.dtype() == DType::kF32 || out.dtype() == DType::kBF16;
    const memory::data_type type = out.dtype() == DType::kBF16 ? memory::data_type::bf16 : memory::data_type::f32;
    Tensor staging;
    if (!direct) {
      UPRES_ASSIGN_OR_RETURN(staging, Tensor::zeros(shape, DType::kF32));
    }
    memory user(plain_desc(shape, type), engine_, direct ? out.raw() : staging.raw());
    dnnl::reorder(value, user).execute(stream_, const_cast<memory&>(value), user);
    stream_.wait();
    if (!direct) {
      const float* values = staging.f32();
      for (int64_t k = 0; k < staging.numel(); ++k) out.set(k, values[k]);
    }
  }
  return Status::ok();
}

Status CpuExecutable::run(std::span<const Tensor> inputs, std::span<Tensor> outputs) {
  if (outputs.size() != output_shapes_.size()) {
    return invalid_argument("run: " + std::to_string(outputs.size()) + " outputs for " +
                            std::to_string(output_shapes_.size()) + " graph outputs");
  }
  UPRES_RETURN_IF_ERROR(plan_->ensure_arena());  // after release_buffers()
  UPRES_RETURN_IF_ERROR(load_inputs(inputs));
  return with_threads(num_threads_, [&] {
    try {
      UPRES_RETURN_IF_ERROR(plan_->execute(stream_, nullptr, cancel_));
      return store_outputs(outputs);
    } catch (const dnnl::error& e) {
      return internal_error(std::string("cpu: run: oneDNN: ") + e.what());
    }
  });
}

std::vector<double> CpuExecutable::profile_steps() {
  std::vector<double> seconds;
  const Status status = with_threads(num_threads_, [&] {
    try {
      return plan_->execute(stream_, &seconds);
    } catch (const dnnl::error& e) {
      return internal_error(std::string("cpu: profile: oneDNN: ") + e.what());
    }
  });
  if (!status.is_ok()) seconds.clear();
  return seconds;
}

std::vector<std::string> CpuExecutable::step_descriptions() const {
  std::vector<std::string> out;
  for (const Step& step : plan_->steps()) {
    std::string what = step.reference_fallback ? "fallback" : "native";
    if (step.primitive) {
      const_dnnl_primitive_desc_t pd = nullptr;
      const char* impl = nullptr;
      dnnl_primitive_get_primitive_desc(step.primitive.get(), &pd);
      dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
      what = std::string(dnnl_prim_kind2str(static_cast<dnnl_primitive_kind_t>(step.primitive.get_kind()))) + " " +
             (impl != nullptr ? impl : "?");
    }
    out.push_back(step.label + ": " + what);
  }
  return out;
}

}  // namespace upres::engine::cpu
