// NcnnLayerTensors: fp32 tensors of every ncnn weight blob.
#include "models/ncnn_layer_tensors.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/parallel_for.h"
#include "base/slab_allocator.h"

namespace upres::models {
namespace {

// Conversion is memory-bound: a few threads take what the memory system gives.
constexpr int kLoadThreads = 4;

// Weight tensors of a few hundred KiB each (R-ESRGAN 4x+: 702 blobs) out of shared huge-page slabs.
SlabAllocator& weight_slabs() {
  static SlabAllocator slabs(size_t{32} << 20);
  return slabs;
}

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
  // Blobs to convert (fp16, codebook) and their tensors, whose storage the conversion fills.
  std::vector<std::pair<const weights::WeightEntry*, engine::Tensor>> to_convert;
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
      // (numel is bounded by the blob's bytes, which the reader checked against the file.)
      const size_t bytes = static_cast<size_t>(std::max<int64_t>(1, entry.numel())) * sizeof(float);
      std::shared_ptr<std::byte[]> storage = weight_slabs().allocate(bytes);
      if (storage == nullptr) return resource_exhausted("out of memory for ncnn blob '" + entry.name + "'");
      UPRES_ASSIGN_OR_RETURN(tensor, engine::Tensor::over_storage(std::move(storage), bytes, shape));
      to_convert.emplace_back(&entry, tensor);  // shares the storage
    }
    result.total_values_ += tensor.numel();
    result.tensors_.emplace(entry.name, std::move(tensor));
  }
  // Converted on a few threads, each blob straight into its tensor: no scratch copy, and the
  // slabs fault in 2 MiB pages (R-ESRGAN 4x+'s 67 MB of fp32 weights: ~0.25 s of one core as
  // 4 KiB faults, a memcpy and the conversion).
  std::vector<Status> converted(to_convert.size());
  parallel_for(static_cast<int>(to_convert.size()), kLoadThreads, [&](int i) {
    auto& [entry, tensor] = to_convert[static_cast<size_t>(i)];
    converted[static_cast<size_t>(i)] =
        model.weights.read_f32_into(*entry, {static_cast<float*>(tensor.raw()), static_cast<size_t>(tensor.numel())});
  });
  for (const Status& status : converted) UPRES_RETURN_IF_ERROR(status);
  return result;
}

const engine::Tensor* NcnnLayerTensors::find(std::string_view name) const {
  auto it = tensors_.find(std::string(name));
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace upres::models
