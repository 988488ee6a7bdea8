// Decoding of one ONNX TensorProto into an OnnxTensor, with every size checked. Internal to the
// ONNX reader (it names generated protobuf types). Stateless; thread-safe.
#pragma once

#include "base/result.h"
#include "weights/onnx.pb.h"
#include "weights/onnx_graph.h"

namespace upres::weights {

// Corrupt when dims are negative, their product exceeds kOnnxMaxTensorElements, or the data
// (raw_data or the typed field) does not hold exactly that many elements; Unsupported for
// external data, string/complex types and segments. Messages name the tensor.
Result<OnnxTensor> decode_onnx_tensor(const onnx_proto::TensorProto& proto);

}  // namespace upres::weights
