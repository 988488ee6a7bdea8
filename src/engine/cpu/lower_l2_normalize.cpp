// Native l2_normalize: a host step over plain fp32 rows (the last dim), OpenMP over rows; the sum
// of squares in double as the reference kernel does. Cosine attention (Swin2SR) and DAT's channel
// attention normalise q and k in every block, where the reference fallback ran single-threaded
// between two extra copies. The step's state is immutable after lowering: thread-compatible.
#include <algorithm>
#include <cmath>

#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

Status lower_l2_normalize(ExecutionPlan& plan, const Node& node) {
  const Shape& in = plan.graph().shape(node.inputs[0]);
  const float eps = std::get<L2NormalizeAttrs>(node.attrs).eps;
  const int64_t length = in.back(), rows = length == 0 ? 0 : shape_numel(in) / length;
  const dnnl::memory::data_type f32 = dnnl::memory::data_type::f32;
  const dnnl::memory src = plan.input_as(node.inputs[0], plain_desc(in, f32));
  plan.set_desc(node.output, plain_desc(in, f32));
  const dnnl::memory dst = plan.memory_of(node.output);
  plan.add_host([src, dst, rows, length, eps]() {
    const auto* x = static_cast<const float*>(src.get_data_handle());
    auto* y = static_cast<float*>(dst.get_data_handle());
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * length;
      double sum = 0.0;
      for (int64_t i = 0; i < length; ++i) sum += static_cast<double>(row[i]) * row[i];
      const float inverse = static_cast<float>(1.0 / std::max(std::sqrt(sum), static_cast<double>(eps)));
      for (int64_t i = 0; i < length; ++i) y[r * length + i] = row[i] * inverse;
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
