// NcnnLayerTensors: the weight blobs of an ncnn model widened to fp32 engine tensors once at load,
// keyed "<layer>.<suffix>" as the reader names them. Deconvolution weights are stored transposed
// to the engine's conv_transpose2d layout. Immutable after building; thread-safe for reads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "engine/tensor.h"
#include "weights/ncnn_reader.h"

namespace upres::models {

class NcnnLayerTensors {
 public:
  // Reads every blob of `model` as fp32 (fp16 and fp32 tags per blob). Unsupported for int8
  // blobs (quantized models), Corrupt for a Deconvolution weight whose params do not give a
  // [out, in, kh, kw] shape.
  static Result<NcnnLayerTensors> from_model(const weights::NcnnModel& model);

  // The tensor of `name`, or nullptr.
  const engine::Tensor* find(std::string_view name) const;
  // Total fp32 values held.
  int64_t total_values() const { return total_values_; }

 private:
  std::unordered_map<std::string, engine::Tensor> tensors_;
  int64_t total_values_ = 0;
};

}  // namespace upres::models
