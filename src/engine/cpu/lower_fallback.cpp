// The explicit fallback: ops oneDNN 2.6 has no primitive for run the reference backend's kernel
// on plain fp32 copies of their inputs, writing a plain fp32 output. Correct, single-threaded;
// these ops are rare and cheap next to the convolutions. Taken by (see runs_on_onednn and the
// *_runs_on_onednn checks): resize, pad, group norm, pixel (un)shuffle not 4-D (4-D ones run
// natively: lower_resize_pad.cpp, lower_group_norm.cpp, lower_pixel_shuffle.cpp),
// an unfolded batch norm; matmul with unequal ranks; avg pool with
// ceil_mode padding counted by count_include_pad. (Binaries oneDNN cannot take run natively:
// lower_binary_native.cpp.)
#include <atomic>
#include <memory>

#include "engine/cpu/lowering.h"
#include "engine/reference/kernel.h"

namespace upres::engine::cpu {
namespace {

std::atomic<size_t> g_fallback_nodes{0};

}  // namespace

size_t reference_fallback_nodes() { return g_fallback_nodes.load(); }

Status lower_fallback(ExecutionPlan& plan, const Node& node) {
  g_fallback_nodes.fetch_add(1);
  const Graph& graph = plan.graph();
  const reference::Kernel kernel = reference::find_kernel(node.kind);
  if (kernel == nullptr) return unsupported("cpu: no kernel for " + std::string(op_kind_name(node.kind)));
  std::vector<dnnl::memory> inputs;
  std::vector<Shape> shapes;
  for (Value input : node.inputs) {
    shapes.push_back(graph.shape(input));
    inputs.push_back(plan.input_as(input, plain_desc(shapes.back(), dnnl::memory::data_type::f32)));
  }
  auto constants = std::make_shared<std::vector<std::vector<float>>>();
  for (const Tensor& tensor : node.constants) constants->push_back(tensor.is_defined() ? tensor.to_f32() : std::vector<float>{});
  const Shape out_shape = graph.shape(node.output);
  plan.set_desc(node.output, plain_desc(out_shape, dnnl::memory::data_type::f32));
  dnnl::memory output = plan.memory_of(node.output);
  plan.add_host([&node, kernel, inputs, shapes, constants, output, out_shape]() {
    reference::KernelArgs args{node, {}, shapes, *constants, static_cast<float*>(output.get_data_handle()), out_shape};
    for (const dnnl::memory& m : inputs) args.inputs.push_back(static_cast<const float*>(m.get_data_handle()));
    return kernel(args);
  }, /*reference_fallback=*/true);
  return Status::ok();
}

}  // namespace upres::engine::cpu
