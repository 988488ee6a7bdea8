// Reference dense algebra: linear (x @ W^T + b over the last axis) and batched matmul with
// broadcast batch dims.
#include "engine/reference/broadcast.h"
#include "engine/reference/kernel.h"

namespace upres::engine::reference {

Status linear(const KernelArgs& args) {
  const Shape& ws = args.node.constants[0].shape();
  const int64_t out_features = ws[0], in_features = ws[1];
  const int64_t rows = shape_numel(args.input_shapes[0]) / in_features;
  const std::vector<float>& w = args.constants[0];
  const std::vector<float>& bias = args.constants[1];
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = args.inputs[0] + r * in_features;
    for (int64_t o = 0; o < out_features; ++o) {
      double acc = bias.empty() ? 0.0 : bias[static_cast<size_t>(o)];
      for (int64_t i = 0; i < in_features; ++i) acc += static_cast<double>(x[i]) * w[o * in_features + i];
      args.output[r * out_features + o] = static_cast<float>(acc);
    }
  }
  return Status::ok();
}

Status matmul(const KernelArgs& args) {
  const Shape& as = args.input_shapes[0];
  const Shape& bs = args.input_shapes[1];
  const Shape& out = args.output_shape;
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const Shape batch_out(out.begin(), out.end() - 2);
  BroadcastIndex batch_a(Shape(as.begin(), as.end() - 2), batch_out);
  BroadcastIndex batch_b(Shape(bs.begin(), bs.end() - 2), batch_out);
  const int64_t batches = shape_numel(batch_out);
  for (int64_t b = 0; b < batches; ++b) {
    const float* a = args.inputs[0] + batch_a(b) * m * k;
    const float* bm = args.inputs[1] + batch_b(b) * k * n;
    float* c = args.output + b * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * bm[p * n + j];
        c[i * n + j] = static_cast<float>(acc);
      }
    }
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
