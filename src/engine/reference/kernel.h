// The reference kernel signature and the per-family kernels. Every kernel reads fp32 inputs and
// constants in plain NCHW (row-major) order and writes an fp32 output that never aliases an
// input. Obviously-correct loops, no tricks. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "base/status.h"
#include "engine/graph.h"

namespace upres::engine::reference {

struct KernelArgs {
  const Node& node;
  std::vector<const float*> inputs;        // one per node input
  std::vector<Shape> input_shapes;
  const std::vector<std::vector<float>>& constants;  // fp32 copies; empty = undefined tensor
  float* output;
  Shape output_shape;
};

using Kernel = Status (*)(const KernelArgs& args);

// The kernel for `kind`, or nullptr when the reference backend lacks one.
Kernel find_kernel(OpKind kind);

// Applies an activation to one value (alpha: leaky slope or prelu slope).
float apply_activation(Activation activation, float x, float alpha);

// conv2d.cpp
Status conv2d(const KernelArgs& args);
Status conv_transpose2d(const KernelArgs& args);
// elementwise.cpp
Status constant(const KernelArgs& args);
Status activation(const KernelArgs& args);
Status binary(const KernelArgs& args);
Status scale(const KernelArgs& args);
// layout_ops.cpp
Status concat(const KernelArgs& args);
Status slice(const KernelArgs& args);
Status permute(const KernelArgs& args);
Status reshape(const KernelArgs& args);
Status pixel_shuffle(const KernelArgs& args);
Status pad(const KernelArgs& args);
// resize.cpp
Status resize(const KernelArgs& args);
// pool.cpp
Status pool2d(const KernelArgs& args);
Status global_avg_pool(const KernelArgs& args);
// dense.cpp
Status linear(const KernelArgs& args);
Status matmul(const KernelArgs& args);
// norm.cpp
Status layer_norm(const KernelArgs& args);
Status group_norm(const KernelArgs& args);
Status batch_norm(const KernelArgs& args);
Status softmax(const KernelArgs& args);
Status l2_normalize(const KernelArgs& args);
// spectral.cpp (naive DFTs in double)
Status rfft2(const KernelArgs& args);
Status irfft2(const KernelArgs& args);
// math.cpp (kUnary, kBinary, kReduce)
Status unary_math(const KernelArgs& args);
Status binary_math(const KernelArgs& args);
Status reduce(const KernelArgs& args);

}  // namespace upres::engine::reference
