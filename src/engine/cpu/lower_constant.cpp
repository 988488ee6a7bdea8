// Lowering of constant: the tensor's values, converted to fp32 once at lowering and held by the
// plan, copied into the value's arena bytes by a oneDNN reorder each run (the arena is reused, so
// nothing stays there between runs). Replaces the reference fallback that StyleGAN2's constant
// input and noise maps took 32 times per GFPGAN face.
#include <memory>
#include <vector>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

Status lower_constant(ExecutionPlan& plan, const Node& node) {
  const Shape& shape = plan.graph().shape(node.output);
  auto values = std::make_shared<std::vector<float>>(node.constants[0].to_f32());
  if (static_cast<int64_t>(values->size()) != shape_numel(shape))
    return internal_error("cpu: constant '" + node.name + "' has " + std::to_string(values->size()) +
                          " values for shape " + shape_to_string(shape));
  const dnnl::memory::desc desc = plain_desc(shape, dnnl::memory::data_type::f32);
  const dnnl::memory held(desc, plan.engine(), values->data());
  plan.keep_alive(values);
  plan.set_desc(node.output, desc);
  plan.add_reorder(held, plan.memory_of(node.output));
  return Status::ok();
}

}  // namespace upres::engine::cpu
