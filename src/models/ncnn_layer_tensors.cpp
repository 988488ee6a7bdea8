// NcnnLayerTensors: fp32 tensors of every ncnn weight blob.
#include "models/ncnn_layer_tensors.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

namespace upres::models {
namespace {

// ncnn Deconvolution weight [out][in][kh][kw] (a direct scatter, no flip) to PyTorch's
// conv_transpose2d layout [in][out][kh][kw].
Result<engine::Tensor> transpose_deconv_weight(const std::vector<float>& values,
                                               const engine::Shape& shape, const std::string& name) {
  if (shape.size() != 4) {
    return corrupt("ncnn weight '" + name + "' has shape " + engine::shape_to_string(shape) +
                   ", not [out, in, kh, kw]");
  }
  int64_t out = shape[0], in = shape[1], k = shape[2] * shape[3];
  std::vector<float> transposed(values.size());
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) {
      const float* src = values.data() + (o * in + i) * k;
      float* dst = transposed.data() + (i * out + o) * k;
      for (int64_t j = 0; j < k; ++j) dst[j] = src[j];
    }
  }
  return engine::Tensor::from_f32(transposed, {in, out, shape[2], shape[3]});
}

// The entry's values where the file holds them as aligned fp32 (read_f32_into would memcpy them),
// else nullopt (converted, or an odd size or alignment that read_f32_into reports or copes with).
std::optional<std::span<const float>> stored_f32(const weights::WeightMap& weights, const weights::WeightEntry& entry) {
  const bool plain = entry.dtype == DType::kF32 && entry.ncnn_storage != weights::NcnnStorage::kCodebook &&
                     entry.ncnn_storage != weights::NcnnStorage::kInt8;
  if (!plain) return std::nullopt;
  Result<std::span<const uint8_t>> raw = weights.read_raw(entry);
  if (!raw.is_ok() || raw->size() != static_cast<size_t>(entry.numel()) * sizeof(float) ||
      reinterpret_cast<uintptr_t>(raw->data()) % alignof(float) != 0) {
    return std::nullopt;
  }
  return std::span<const float>(reinterpret_cast<const float*>(raw->data()), raw->size() / sizeof(float));
}

}  // namespace

Result<NcnnLayerTensors> NcnnLayerTensors::from_model(const weights::NcnnModel& model) {
  std::unordered_set<std::string> deconv_weights;
  for (const weights::NcnnLayer& layer : model.graph.layers) {
    if (layer.type == "Deconvolution") deconv_weights.insert(layer.name + ".weight");
  }
  NcnnLayerTensors result;
  std::vector<float> scratch;
  for (const weights::WeightEntry& entry : model.weights.entries()) {
    if (entry.ncnn_storage == weights::NcnnStorage::kInt8) {
      return unsupported("ncnn blob '" + entry.name + "' is int8-quantized; upres runs fp32/fp16 models only");
    }
    engine::Shape shape(entry.shape.begin(), entry.shape.end());
    engine::Tensor tensor;
    if (deconv_weights.count(entry.name) != 0) {
      UPRES_ASSIGN_OR_RETURN(std::vector<float> values, model.weights.read_f32(entry));
      UPRES_ASSIGN_OR_RETURN(tensor, transpose_deconv_weight(values, shape, entry.name));
    } else if (std::optional<std::span<const float>> floats = stored_f32(model.weights, entry)) {
      // fp32 in the file: copied once, from the mapped file into the tensor (no zero fill first).
      UPRES_ASSIGN_OR_RETURN(tensor, engine::Tensor::from_f32(*floats, shape));
    } else {
      // Converted (fp16, codebook) into one blob's cache-warm scratch, then copied into the tensor:
      // cheaper than zero-filling the tensor's fresh pages first (Tensor::zeros).
      // (numel is bounded by the blob's bytes, which the reader checked against the file.)
      scratch.resize(static_cast<size_t>(std::max<int64_t>(0, entry.numel())));
      UPRES_RETURN_IF_ERROR(model.weights.read_f32_into(entry, scratch));
      UPRES_ASSIGN_OR_RETURN(tensor, engine::Tensor::from_f32(scratch, shape));
    }
    result.total_values_ += tensor.numel();
    result.tensors_.emplace(entry.name, std::move(tensor));
  }
  return result;
}

const engine::Tensor* NcnnLayerTensors::find(std::string_view name) const {
  auto it = tensors_.find(std::string(name));
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace upres::models
