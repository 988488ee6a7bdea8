// Lowering of reshape: the value's bytes in plain (row-major) order seen with the new dims, copied
// by a oneDNN reorder (a reshape of a plain tensor changes no byte; a value in another layout is
// made plain first). Replaces the reference fallback, which Real-CUGAN's squeeze-excitation means
// took four times per block.
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

Status lower_reshape(ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  const dnnl::memory::data_type type = plan.storage(node.inputs[0]).desc.data_type();
  const dnnl::memory src = plan.input_as(node.inputs[0], plain_desc(in, type));
  plan.set_desc(node.output, plain_desc(out, type));
  plan.add_reorder(plan.view_of(src, plain_desc(out, type)), plan.memory_of(node.output));
  return Status::ok();
}

}  // namespace upres::engine::cpu
