// Lowering of permute: one oneDNN reorder from the input seen through permuted strides to a plain
// output (out[j] walks the input's axis dims[j]). Window attention gathers and scatters its windows
// with 6-d permutes and splits heads with 4-d ones, several per block, so the reference fallback's
// per-element index arithmetic and two extra copies were a visible share of a transformer's time.
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

Status lower_permute(ExecutionPlan& plan, const Node& node) {
  const auto& dims = std::get<PermuteAttrs>(node.attrs).dims;
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  const dnnl::memory::data_type type = plan.storage(node.inputs[0]).desc.data_type();
  const dnnl::memory src = plan.input_as(node.inputs[0], plain_desc(in, type));
  dnnl::memory::dims in_strides(in.size());
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    in_strides[i] = stride;
    stride *= in[i];
  }
  dnnl::memory::dims permuted_strides(out.size());
  for (size_t j = 0; j < out.size(); ++j) permuted_strides[j] = in_strides[static_cast<size_t>(dims[j])];
  const dnnl::memory::desc permuted(dnnl::memory::dims(out.begin(), out.end()), type, permuted_strides);
  plan.set_desc(node.output, plain_desc(out, type));
  plan.add_reorder(plan.view_of(src, permuted), plan.memory_of(node.output));
  return Status::ok();
}

}  // namespace upres::engine::cpu
