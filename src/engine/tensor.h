// Tensor: a host tensor (dtype, logical NCHW shape, layout tag) over shared 64-byte-aligned storage.
// Copies share storage (like torch.Tensor); clone() deep-copies. Thread-compatible: concurrent
// reads are safe, writes to shared storage need external synchronization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/result.h"

namespace upres::engine {

// Dimensions in logical order, outermost first: NCHW for images, [..., rows, cols] for matrices.
using Shape = std::vector<int64_t>;

// "[1, 64, 32, 32]"
std::string shape_to_string(const Shape& shape);
// Product of the dimensions (1 for a scalar shape {}). Requires: every dimension >= 0.
int64_t shape_numel(const Shape& shape);

// kNchw: plain row-major in logical order. kOpaque: a backend-private blocked layout (oneDNN
// nChw16c, ...); only backends create such tensors, and host code never reads their bytes.
enum class Layout { kNchw, kOpaque };

// numpy/PyTorch broadcasting of two shapes (right-aligned; a dim of 1 stretches).
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// axis in [-rank, rank) to [0, rank); -1 when out of range.
int normalize_axis(int axis, int rank);

// Storage dtypes a tensor may hold: fp32, fp16 and bf16.
bool is_tensor_dtype(DType dtype);

class Tensor {
 public:
  // An undefined tensor (no storage); used for "absent" optional inputs such as a missing bias.
  Tensor() = default;

  // Zero-filled tensor. Fails if dtype is not fp32/fp16/bf16, a dimension is negative, or the
  // byte size overflows or exceeds `kMaxBytes`.
  static Result<Tensor> zeros(const Shape& shape, DType dtype = DType::kF32);
  // Copies `values` (fp32) into a new tensor stored as `dtype` (rounded to nearest even).
  // Fails if values.size() != shape_numel(shape).
  static Result<Tensor> from_f32(std::span<const float> values, const Shape& shape,
                                 DType dtype = DType::kF32);
  // A tensor over caller-provided storage of `storage_bytes` bytes, kAlignment-aligned, holding
  // whatever the storage holds (the caller writes the values: no copy, no zero fill), e.g. weights
  // converted straight into huge-page slab memory. Fails like zeros() or when the storage is too
  // small or misaligned.
  static Result<Tensor> over_storage(std::shared_ptr<std::byte[]> storage, size_t storage_bytes, const Shape& shape,
                                     DType dtype = DType::kF32);

  static constexpr size_t kMaxBytes = size_t{1} << 40;
  static constexpr size_t kAlignment = 64;

  bool is_defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  Layout layout() const { return layout_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  // Requires: 0 <= axis < rank(), or -rank() <= axis < 0 counted from the end.
  int64_t dim(int axis) const;
  int64_t numel() const { return shape_numel(shape_); }
  size_t size_bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  // Raw storage, aligned to kAlignment.
  void* raw() { return storage_.get(); }
  const void* raw() const { return storage_.get(); }
  // Typed access. Requires: dtype() == kF32 and layout() == kNchw.
  float* f32();
  const float* f32() const;

  // All elements converted to fp32, in logical order. Requires: layout() == kNchw.
  std::vector<float> to_f32() const;
  // A new tensor with the same values stored as `dtype` (rounded to nearest even).
  Result<Tensor> to(DType dtype) const;
  // Deep copy.
  Tensor clone() const;
  // Same storage viewed with another shape of equal numel. Requires: layout() == kNchw.
  Result<Tensor> reshaped(const Shape& shape) const;

  // Element i (logical order) as fp32 / set from fp32. Slow: for tests and reference kernels.
  float get(int64_t index) const;
  void set(int64_t index, float value);

 private:
  std::shared_ptr<std::byte[]> storage_;
  Shape shape_;
  DType dtype_ = DType::kF32;
  Layout layout_ = Layout::kNchw;
};

}  // namespace upres::engine
