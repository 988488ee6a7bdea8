// Lowering of permute: one oneDNN reorder from the input seen through permuted strides to a plain
// output (out[j] walks the input's axis dims[j]). Input axes that stay adjacent and in order are
// merged first and unit axes dropped, so a window partition ([B, nh, ws, nw, ws, C] -> [B, nh, nw,
// ws, ws, C]) reaches oneDNN as a rank-4 swap of ws*C-float rows, which its jit reorder copies in
// runs, where the rank-6 form took the generic element-wise `simple:any` reorder.
#include <algorithm>
#include <vector>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {
namespace {

// The permutation on merged axes: `shape` and `order` (out axis j reads merged input axis order[j]).
struct MergedPermute {
  Shape shape;             // merged input dims
  std::vector<int> order;  // permutation of the merged axes
};

MergedPermute merge_axes(const Shape& in, const std::vector<int>& dims) {
  // Runs of output axes reading consecutive, non-unit input axes become one axis.
  std::vector<std::vector<int>> runs;
  for (int axis : dims) {
    if (in[static_cast<size_t>(axis)] == 1) continue;
    if (!runs.empty() && runs.back().back() + 1 == axis) {
      runs.back().push_back(axis);
    } else {
      runs.push_back({axis});
    }
  }
  // Merged input axes in input order: a run's rank is the rank of its first axis among run starts.
  std::vector<int> starts;
  for (const auto& run : runs) starts.push_back(run.front());
  std::vector<int> sorted = starts;
  std::sort(sorted.begin(), sorted.end());
  MergedPermute merged;
  merged.shape.resize(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    const int position = static_cast<int>(std::find(sorted.begin(), sorted.end(), starts[r]) - sorted.begin());
    int64_t size = 1;
    for (int axis : runs[r]) size *= in[static_cast<size_t>(axis)];
    merged.shape[static_cast<size_t>(position)] = size;
    merged.order.push_back(position);
  }
  if (merged.shape.empty()) {  // every axis has size 1
    merged.shape = {1};
    merged.order = {0};
  }
  return merged;
}

}  // namespace

Status lower_permute(ExecutionPlan& plan, const Node& node) {
  const auto& dims = std::get<PermuteAttrs>(node.attrs).dims;
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const Shape& out = plan.graph().shape(node.output);
  const dnnl::memory::data_type type = plan.storage(node.inputs[0]).desc.data_type();
  const dnnl::memory src = plan.input_as(node.inputs[0], plain_desc(in, type));
  const MergedPermute merged = merge_axes(in, dims);
  dnnl::memory::dims in_strides(merged.shape.size());
  int64_t stride = 1;
  for (size_t i = merged.shape.size(); i-- > 0;) {
    in_strides[i] = stride;
    stride *= merged.shape[i];
  }
  Shape merged_out;
  dnnl::memory::dims permuted_strides;
  for (int axis : merged.order) {
    merged_out.push_back(merged.shape[static_cast<size_t>(axis)]);
    permuted_strides.push_back(in_strides[static_cast<size_t>(axis)]);
  }
  const dnnl::memory::desc permuted(dnnl::memory::dims(merged_out.begin(), merged_out.end()), type, permuted_strides);
  plan.set_desc(node.output, plain_desc(out, type));
  plan.add_reorder(plan.view_of(src, permuted), plan.view_of(plan.memory_of(node.output), plain_desc(merged_out, type)));
  return Status::ok();
}

}  // namespace upres::engine::cpu
