// DType: element types of tensors, as stored in model files and held in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace upres {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

// Bytes per element.
size_t dtype_size(DType dtype);
// "float32", "float16", "bfloat16", ... as PyTorch names them.
std::string_view dtype_name(DType dtype);

// IEEE half <-> float, round-to-nearest-even; infinities and NaN preserved.
float half_to_float(uint16_t half);
uint16_t float_to_half(float value);

// bfloat16 <-> float, round-to-nearest-even.
inline float bf16_to_float(uint16_t bits) {
  uint32_t word = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}
uint16_t float_to_bf16(float value);

}  // namespace upres
