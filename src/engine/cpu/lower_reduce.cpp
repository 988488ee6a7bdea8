// Lowering of kReduce over plain fp32: oneDNN's reduction primitive where it has a jit kernel for
// the shape, else a native host step (oneDNN 2.6 answers many axis sets, e.g. the last axis of a
// 3-D value, with its `ref` kernel, ~100x slower). The native step runs OpenMP over output
// elements, an odometer over the reduced axes, sums in double as the reference kernel does. The
// step's state is immutable after lowering: thread-compatible.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/cpu/lowering.h"
#include "engine/shape_rules.h"

namespace upres::engine::cpu {
namespace {

using dnnl::algorithm;
using dnnl::memory;

// The reduce as input strides: kept axes (outer, one output element each) and reduced axes (inner).
struct ReduceLoops {
  std::vector<int64_t> kept_dims, kept_strides;
  // Reduced axes but the innermost, which is walked as one strided run.
  std::vector<int64_t> outer_dims, outer_strides;
  int64_t run = 1, run_stride = 1;
  int64_t outputs = 1;
  int64_t group = 1;
};

ReduceLoops reduce_loops(const Shape& in, const std::vector<bool>& reduced) {
  ReduceLoops loops;
  int64_t stride = 1;
  std::vector<int64_t> strides(in.size());
  for (size_t d = in.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= in[d];
  }
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) {
      loops.outer_dims.push_back(in[d]);
      loops.outer_strides.push_back(strides[d]);
      loops.group *= in[d];
    } else {
      loops.kept_dims.push_back(in[d]);
      loops.kept_strides.push_back(strides[d]);
      loops.outputs *= in[d];
    }
  }
  // Requires: at least one reduced axis (reduced_axes() never returns none).
  loops.run = loops.outer_dims.back();
  loops.run_stride = loops.outer_strides.back();
  loops.outer_dims.pop_back();
  loops.outer_strides.pop_back();
  return loops;
}

// Offset of element `index` of a row-major walk over `dims` laid out with `strides`.
int64_t offset_of(int64_t index, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  int64_t offset = 0;
  for (size_t k = dims.size(); k-- > 0;) {
    offset += (index % dims[k]) * strides[k];
    index /= dims[k];
  }
  return offset;
}

double reduce_one(const float* x, const ReduceLoops& loops, ReduceOp op) {
  const bool is_max = op == ReduceOp::kMax, is_min = op == ReduceOp::kMin;
  const bool squares = op == ReduceOp::kL2 || op == ReduceOp::kSumSquare;
  double r = is_max ? -std::numeric_limits<double>::infinity() : is_min ? std::numeric_limits<double>::infinity() : 0.0;
  const int64_t run = loops.run, step = loops.run_stride, outer = loops.group / run;
  for (int64_t o = 0; o < outer; ++o) {
    const float* p = x + offset_of(o, loops.outer_dims, loops.outer_strides);
    for (int64_t i = 0; i < run; ++i) {
      const double v = p[i * step];
      if (is_max) {
        r = std::isnan(v) || v > r ? v : r;
      } else if (is_min) {
        r = std::isnan(v) || v < r ? v : r;
      } else {
        r += squares ? v * v : v;
      }
    }
  }
  if (op == ReduceOp::kMean) r /= static_cast<double>(loops.group);
  if (op == ReduceOp::kL2) r = std::sqrt(r);
  return r;
}

algorithm reduction_algorithm(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return algorithm::reduction_sum;
    case ReduceOp::kMean: return algorithm::reduction_mean;
    case ReduceOp::kMax: return algorithm::reduction_max;
    case ReduceOp::kMin: return algorithm::reduction_min;
    case ReduceOp::kL2: return algorithm::reduction_norm_lp_sum;
    case ReduceOp::kSumSquare: return algorithm::reduction_norm_lp_power_p_sum;
  }
  return algorithm::reduction_sum;
}

}  // namespace

Status lower_reduce(ExecutionPlan& plan, const Node& node) {
  const auto& attrs = std::get<ReduceAttrs>(node.attrs);
  const Shape& in = plan.graph().shape(node.inputs[0]);
  UPRES_ASSIGN_OR_RETURN(std::vector<bool> reduced, reduced_axes(attrs, static_cast<int>(in.size())));
  const memory::data_type f32 = memory::data_type::f32;
  const memory src = plan.input_as(node.inputs[0], plain_desc(in, f32));
  plan.set_desc(node.output, plain_desc(plan.graph().shape(node.output), f32));
  Shape kept = in;
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduced[d]) kept[d] = 1;
  }
  const memory dst = plan.view_of(plan.memory_of(node.output), plain_desc(kept, f32));
  try {
    // p = 2, eps = 0 for the norms; ignored by the others.
    dnnl::reduction::primitive_desc pd(
        dnnl::reduction::desc(reduction_algorithm(attrs.op), plain_desc(in, f32), plain_desc(kept, f32), 2.0f, 0.0f),
        plan.engine());
    if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) {
      plan.add_primitive(dnnl::reduction(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
      return Status::ok();
    }
  } catch (const dnnl::error&) {
    // No primitive for this shape (e.g. every reduced axis already 1): the native step below.
  }
  const ReduceLoops loops = reduce_loops(in, reduced);
  const ReduceOp op = attrs.op;
  plan.add_host([src, dst, loops, op]() {
    const auto* x = static_cast<const float*>(src.get_data_handle());
    auto* y = static_cast<float*>(dst.get_data_handle());
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < loops.outputs; ++o) {
      y[o] = static_cast<float>(reduce_one(x + offset_of(o, loops.kept_dims, loops.kept_strides), loops, op));
    }
    return Status::ok();
  });
  return Status::ok();
}

}  // namespace upres::engine::cpu
