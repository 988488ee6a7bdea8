// decode_onnx_tensor: TensorProto (raw_data or typed fields) to host fp32 / int64 values.
#include "weights/onnx_tensor_decode.h"

#include <cstring>
#include <string>

#include "weights/onnx_reader.h"

namespace upres::weights {
namespace {

using onnx_proto::TensorProto;

struct ElementType {
  DType dtype;
  size_t bytes;
  bool is_float;
  bool is_unsigned;
};

Result<ElementType> element_type(int32_t data_type, const std::string& what) {
  switch (data_type) {
    case TensorProto::FLOAT: return ElementType{DType::kF32, 4, true, false};
    case TensorProto::FLOAT16: return ElementType{DType::kF16, 2, true, false};
    case TensorProto::BFLOAT16: return ElementType{DType::kBF16, 2, true, false};
    case TensorProto::DOUBLE: return ElementType{DType::kF64, 8, true, false};
    case TensorProto::INT64: return ElementType{DType::kI64, 8, false, false};
    case TensorProto::UINT64: return ElementType{DType::kI64, 8, false, true};
    case TensorProto::INT32: return ElementType{DType::kI32, 4, false, false};
    case TensorProto::UINT32: return ElementType{DType::kI32, 4, false, true};
    case TensorProto::INT16: return ElementType{DType::kI16, 2, false, false};
    case TensorProto::UINT16: return ElementType{DType::kI16, 2, false, true};
    case TensorProto::INT8: return ElementType{DType::kI8, 1, false, false};
    case TensorProto::UINT8: return ElementType{DType::kU8, 1, false, true};
    case TensorProto::BOOL: return ElementType{DType::kBool, 1, false, true};
    default: break;
  }
  return unsupported(what + " has data type " + std::to_string(data_type) +
                     " (strings, complex and undefined types are not read)");
}

// One little-endian element at `p` as fp32 (float types) or int64.
float float_at(const uint8_t* p, DType dtype) {
  switch (dtype) {
    case DType::kF16: { uint16_t h; std::memcpy(&h, p, 2); return half_to_float(h); }
    case DType::kBF16: { uint16_t h; std::memcpy(&h, p, 2); return bf16_to_float(h); }
    case DType::kF64: { double d; std::memcpy(&d, p, 8); return static_cast<float>(d); }
    default: { float f; std::memcpy(&f, p, 4); return f; }
  }
}

int64_t int_at(const uint8_t* p, const ElementType& type) {
  switch (type.bytes) {
    case 1: return type.is_unsigned ? int64_t{p[0]} : int64_t{static_cast<int8_t>(p[0])};
    case 2: {
      uint16_t v; std::memcpy(&v, p, 2);
      return type.is_unsigned ? int64_t{v} : int64_t{static_cast<int16_t>(v)};
    }
    case 4: {
      uint32_t v; std::memcpy(&v, p, 4);
      return type.is_unsigned ? int64_t{v} : int64_t{static_cast<int32_t>(v)};
    }
    default: { int64_t v; std::memcpy(&v, p, 8); return v; }
  }
}

Status decode_raw(const TensorProto& proto, const ElementType& type, int64_t count, OnnxTensor& out,
                  const std::string& what) {
  const std::string& raw = proto.raw_data();
  const uint64_t want = static_cast<uint64_t>(count) * type.bytes;
  if (raw.size() != want) {
    return corrupt(what + " has " + std::to_string(raw.size()) + " bytes of raw_data; its dims and type need " +
                   std::to_string(want));
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  if (type.is_float) {
    out.floats.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) out.floats[static_cast<size_t>(i)] = float_at(bytes + i * type.bytes, type.dtype);
  } else {
    out.ints.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) out.ints[static_cast<size_t>(i)] = int_at(bytes + i * type.bytes, type);
  }
  return Status::ok();
}

Status check_count(int64_t have, int64_t want, const char* field, const std::string& what) {
  if (have == want) return Status::ok();
  return corrupt(what + " has " + std::to_string(have) + " values in " + field + "; its dims need " +
                 std::to_string(want));
}

Status decode_typed(const TensorProto& proto, const ElementType& type, int64_t count, OnnxTensor& out,
                    const std::string& what) {
  const size_t n = static_cast<size_t>(count);
  switch (proto.data_type()) {
    case TensorProto::FLOAT:
      UPRES_RETURN_IF_ERROR(check_count(proto.float_data_size(), count, "float_data", what));
      out.floats.assign(proto.float_data().begin(), proto.float_data().end());
      return Status::ok();
    case TensorProto::DOUBLE:
      UPRES_RETURN_IF_ERROR(check_count(proto.double_data_size(), count, "double_data", what));
      out.floats.resize(n);
      for (size_t i = 0; i < n; ++i) out.floats[i] = static_cast<float>(proto.double_data(static_cast<int>(i)));
      return Status::ok();
    case TensorProto::INT64:
      UPRES_RETURN_IF_ERROR(check_count(proto.int64_data_size(), count, "int64_data", what));
      out.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
      return Status::ok();
    case TensorProto::UINT32:
    case TensorProto::UINT64:
      UPRES_RETURN_IF_ERROR(check_count(proto.uint64_data_size(), count, "uint64_data", what));
      out.ints.resize(n);
      for (size_t i = 0; i < n; ++i) out.ints[i] = static_cast<int64_t>(proto.uint64_data(static_cast<int>(i)));
      return Status::ok();
    default:
      break;
  }
  // float16, bfloat16 and the small integer types live in int32_data (fp16 as its bit pattern).
  UPRES_RETURN_IF_ERROR(check_count(proto.int32_data_size(), count, "int32_data", what));
  if (type.is_float) {
    out.floats.resize(n);
    for (size_t i = 0; i < n; ++i) {
      auto bits = static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)));
      out.floats[i] = type.dtype == DType::kF16 ? half_to_float(bits) : bf16_to_float(bits);
    }
  } else {
    out.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
  }
  return Status::ok();
}

}  // namespace

Result<OnnxTensor> decode_onnx_tensor(const TensorProto& proto) {
  const std::string what = "tensor '" + proto.name() + "'";
  if (proto.data_location() == TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    return unsupported(what + " keeps its data in an external file; upres reads only self-contained .onnx files "
                       "(re-save the model with all tensors inside it)");
  }
  if (proto.has_segment()) return unsupported(what + " is stored in segments");
  OnnxTensor out;
  out.name = proto.name();
  int64_t count = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0) return corrupt(what + " has a negative dimension " + std::to_string(d));
    if (d > 0 && count > kOnnxMaxTensorElements / d) {
      return corrupt(what + " has dims whose product exceeds " + std::to_string(kOnnxMaxTensorElements) + " elements");
    }
    count *= d;
    out.dims.push_back(d);
  }
  UPRES_ASSIGN_OR_RETURN(ElementType type, element_type(proto.data_type(), what));
  out.stored_dtype = type.dtype;
  out.is_float = type.is_float;
  if (proto.has_raw_data()) {
    UPRES_RETURN_IF_ERROR(decode_raw(proto, type, count, out, what));
  } else {
    UPRES_RETURN_IF_ERROR(decode_typed(proto, type, count, out, what));
  }
  return out;
}

}  // namespace upres::weights
