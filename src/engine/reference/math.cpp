// Reference math for imported graphs: kUnary (sqrt, exp, erf, pow, clip, ...), kBinary (sub,
// div, max, min with broadcasting) and kReduce (sum, mean, max, min, l2, sum of squares over any
// axes). Values in double, as PyTorch's fp32 results to within rounding.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/reference/broadcast.h"
#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

double apply_unary(const UnaryAttrs& a, double x) {
  switch (a.op) {
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kLog: return std::log(x);
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kErf: return std::erf(x);
    case UnaryOp::kSquare: return x * x;
    case UnaryOp::kReciprocal: return 1.0 / x;
    case UnaryOp::kPow: return std::pow(x, static_cast<double>(a.exponent));
    case UnaryOp::kClip: return std::min(std::max(x, static_cast<double>(a.lo)), static_cast<double>(a.hi));
  }
  return x;
}

double apply_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kMax: return std::max(a, b);
    case BinaryOp::kMin: return std::min(a, b);
  }
  return a;
}

}  // namespace

Status unary_math(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const UnaryAttrs* a, attrs_of<UnaryAttrs>(args.node));
  const int64_t count = shape_numel(args.output_shape);
  for (int64_t i = 0; i < count; ++i) args.output[i] = static_cast<float>(apply_unary(*a, args.inputs[0][i]));
  return Status::ok();
}

Status binary_math(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const BinaryAttrs* a, attrs_of<BinaryAttrs>(args.node));
  BroadcastIndex index_a(args.input_shapes[0], args.output_shape);
  BroadcastIndex index_b(args.input_shapes[1], args.output_shape);
  const int64_t count = shape_numel(args.output_shape);
  for (int64_t i = 0; i < count; ++i) {
    args.output[i] = static_cast<float>(apply_binary(a->op, args.inputs[0][index_a(i)], args.inputs[1][index_b(i)]));
  }
  return Status::ok();
}

Status reduce(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ReduceAttrs* a, attrs_of<ReduceAttrs>(args.node));
  const Shape& in = args.input_shapes[0];
  const int rank = static_cast<int>(in.size());
  UPRES_ASSIGN_OR_RETURN(std::vector<bool> reduced, reduced_axes(*a, rank));
  // Output strides over the input's axes (0 on reduced ones): keepdims or not, the output is the
  // kept axes in order.
  std::vector<int64_t> out_stride(static_cast<size_t>(rank), 0);
  int64_t stride = 1, group = 1;
  for (int d = rank - 1; d >= 0; --d) {
    const auto k = static_cast<size_t>(d);
    if (reduced[k]) {
      group *= in[k];
    } else {
      out_stride[k] = stride;
      stride *= in[k];
    }
  }
  const bool is_max = a->op == ReduceOp::kMax, is_min = a->op == ReduceOp::kMin;
  const double init = is_max ? -std::numeric_limits<double>::infinity()
                             : is_min ? std::numeric_limits<double>::infinity() : 0.0;
  std::vector<double> acc(static_cast<size_t>(stride), init);
  const int64_t count = shape_numel(in);
  for (int64_t i = 0; i < count; ++i) {
    int64_t o = 0;
    for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
      o += (rest % in[static_cast<size_t>(d)]) * out_stride[static_cast<size_t>(d)];
      rest /= in[static_cast<size_t>(d)];
    }
    const double x = args.inputs[0][i];
    double& r = acc[static_cast<size_t>(o)];
    if (is_max) {
      r = std::isnan(x) || x > r ? x : r;
    } else if (is_min) {
      r = std::isnan(x) || x < r ? x : r;
    } else if (a->op == ReduceOp::kL2 || a->op == ReduceOp::kSumSquare) {
      r += x * x;
    } else {
      r += x;
    }
  }
  for (size_t o = 0; o < acc.size(); ++o) {
    double r = acc[o];
    if (a->op == ReduceOp::kMean) r /= static_cast<double>(group);
    if (a->op == ReduceOp::kL2) r = std::sqrt(r);
    args.output[o] = static_cast<float>(r);
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
