// Tensor storage, creation and dtype conversion.
#include "engine/tensor.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "base/buffer_memory.h"

namespace upres::engine {
namespace {

// Storage for `bytes`, zeroed; or, for callers that write all `bytes` at once, only past them
// (zeroing first would write every page twice: once more than needed for a model's weights).
std::shared_ptr<std::byte[]> allocate_storage(size_t bytes, bool zero_fill = true) {
  size_t rounded = (bytes + Tensor::kAlignment - 1) / Tensor::kAlignment * Tensor::kAlignment;
  if (rounded == 0) rounded = Tensor::kAlignment;
  void* memory = allocate_buffer(rounded, Tensor::kAlignment);
  if (memory == nullptr) return nullptr;
  const size_t written = zero_fill ? 0 : bytes;
  std::memset(static_cast<std::byte*>(memory) + written, 0, rounded - written);
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(memory), [](std::byte* p) { free_buffer(p); });
}

}  // namespace

std::string shape_to_string(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return invalid_argument("shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                              " do not broadcast");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int normalize_axis(int axis, int rank) {
  int index = axis < 0 ? axis + rank : axis;
  return index >= 0 && index < rank ? index : -1;
}

bool is_tensor_dtype(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

namespace {

// The byte size of a tensor of `shape` and `dtype`, or why there can be none.
Result<size_t> checked_byte_size(const Shape& shape, DType dtype) {
  if (!is_tensor_dtype(dtype)) {
    return unsupported("tensor dtype " + std::string(dtype_name(dtype)) + " (want fp32/fp16/bf16)");
  }
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return invalid_argument("tensor shape " + shape_to_string(shape) + " has a negative dim");
    if (dim != 0 && count > Tensor::kMaxBytes / static_cast<size_t>(dim)) {
      return resource_exhausted("tensor shape " + shape_to_string(shape) + " is too large");
    }
    count *= static_cast<size_t>(dim);
  }
  if (count > Tensor::kMaxBytes / dtype_size(dtype)) {
    return resource_exhausted("tensor shape " + shape_to_string(shape) + " is too large");
  }
  return count * dtype_size(dtype);
}

}  // namespace

Result<Tensor> Tensor::zeros(const Shape& shape, DType dtype) {
  UPRES_ASSIGN_OR_RETURN(const size_t bytes, checked_byte_size(shape, dtype));
  Tensor tensor;
  tensor.storage_ = allocate_storage(bytes);
  if (tensor.storage_ == nullptr) {
    return resource_exhausted("out of memory for tensor " + shape_to_string(shape));
  }
  tensor.shape_ = shape;
  tensor.dtype_ = dtype;
  return tensor;
}

Result<Tensor> Tensor::over_storage(std::shared_ptr<std::byte[]> storage, size_t storage_bytes, const Shape& shape,
                                    DType dtype) {
  UPRES_ASSIGN_OR_RETURN(const size_t bytes, checked_byte_size(shape, dtype));
  if (storage == nullptr || storage_bytes < bytes || reinterpret_cast<uintptr_t>(storage.get()) % kAlignment != 0) {
    return invalid_argument("over_storage: " + std::to_string(storage_bytes) + " bytes of storage for tensor " +
                            shape_to_string(shape) + " (" + std::to_string(bytes) + " bytes, " +
                            std::to_string(kAlignment) + "-byte aligned)");
  }
  Tensor tensor;
  tensor.storage_ = std::move(storage);
  tensor.shape_ = shape;
  tensor.dtype_ = dtype;
  return tensor;
}

Result<Tensor> Tensor::from_f32(std::span<const float> values, const Shape& shape, DType dtype) {
  UPRES_ASSIGN_OR_RETURN(const size_t bytes, checked_byte_size(shape, dtype));
  if (static_cast<int64_t>(values.size()) != shape_numel(shape)) {
    return invalid_argument("from_f32: " + std::to_string(values.size()) + " values for shape " +
                            shape_to_string(shape));
  }
  Tensor tensor;
  tensor.storage_ = allocate_storage(bytes, /*zero_fill=*/false);  // every value is written below
  if (tensor.storage_ == nullptr) {
    return resource_exhausted("out of memory for tensor " + shape_to_string(shape));
  }
  tensor.shape_ = shape;
  tensor.dtype_ = dtype;
  if (dtype == DType::kF32) {
    std::memcpy(tensor.raw(), values.data(), values.size() * sizeof(float));
  } else {
    for (size_t i = 0; i < values.size(); ++i) tensor.set(static_cast<int64_t>(i), values[i]);
  }
  return tensor;
}

int64_t Tensor::dim(int axis) const {
  int index = axis < 0 ? axis + rank() : axis;
  assert(index >= 0 && index < rank());
  return shape_[static_cast<size_t>(index)];
}

float* Tensor::f32() {
  assert(dtype_ == DType::kF32 && layout_ == Layout::kNchw);
  return reinterpret_cast<float*>(storage_.get());
}

const float* Tensor::f32() const {
  assert(dtype_ == DType::kF32 && layout_ == Layout::kNchw);
  return reinterpret_cast<const float*>(storage_.get());
}

float Tensor::get(int64_t index) const {
  const std::byte* base = storage_.get();
  switch (dtype_) {
    case DType::kF32: {
      float value;
      std::memcpy(&value, base + index * 4, 4);
      return value;
    }
    case DType::kF16:
    case DType::kBF16: {
      uint16_t bits;
      std::memcpy(&bits, base + index * 2, 2);
      return dtype_ == DType::kF16 ? half_to_float(bits) : bf16_to_float(bits);
    }
    default:
      assert(false && "tensor dtype");
      return 0.0f;
  }
}

void Tensor::set(int64_t index, float value) {
  std::byte* base = storage_.get();
  switch (dtype_) {
    case DType::kF32:
      std::memcpy(base + index * 4, &value, 4);
      return;
    case DType::kF16:
    case DType::kBF16: {
      uint16_t bits = dtype_ == DType::kF16 ? float_to_half(value) : float_to_bf16(value);
      std::memcpy(base + index * 2, &bits, 2);
      return;
    }
    default:
      assert(false && "tensor dtype");
  }
}

std::vector<float> Tensor::to_f32() const {
  assert(layout_ == Layout::kNchw);
  std::vector<float> values(static_cast<size_t>(is_defined() ? numel() : 0));
  if (values.empty()) return values;
  if (dtype_ == DType::kF32) {
    std::memcpy(values.data(), raw(), values.size() * sizeof(float));
  } else {
    for (size_t i = 0; i < values.size(); ++i) values[i] = get(static_cast<int64_t>(i));
  }
  return values;
}

Result<Tensor> Tensor::to(DType dtype) const {
  if (!is_defined()) return invalid_argument("to(): undefined tensor");
  if (layout_ != Layout::kNchw) return unsupported("to(): opaque layout");
  if (dtype == dtype_) return clone();
  std::vector<float> values = to_f32();
  return from_f32(values, shape_, dtype);
}

Tensor Tensor::clone() const {
  if (!is_defined()) return {};
  Tensor copy = *this;
  copy.storage_ = allocate_storage(size_bytes(), /*zero_fill=*/false);  // copied over below
  assert(copy.storage_ != nullptr);
  std::memcpy(copy.storage_.get(), storage_.get(), size_bytes());
  return copy;
}

Result<Tensor> Tensor::reshaped(const Shape& shape) const {
  if (layout_ != Layout::kNchw) return unsupported("reshaped(): opaque layout");
  for (int64_t dim : shape) {
    if (dim < 0) return invalid_argument("reshaped(): negative dim in " + shape_to_string(shape));
  }
  if (shape_numel(shape) != numel()) {
    return invalid_argument("reshaped(): " + shape_to_string(shape_) + " to " + shape_to_string(shape));
  }
  Tensor view = *this;
  view.shape_ = shape;
  return view;
}

}  // namespace upres::engine
