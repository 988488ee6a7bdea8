// OnnxConstants: initializer conversion.
#include "models/onnx/onnx_constants.h"

namespace upres::models {

Result<engine::Tensor> OnnxHostTensor::to_tensor() const {
  std::vector<float> f(values.begin(), values.end());
  return engine::Tensor::from_f32(f, dims);
}

OnnxHostTensor onnx_host_tensor(const weights::OnnxTensor& tensor) {
  OnnxHostTensor host;
  host.dims = tensor.dims;
  host.is_float = tensor.is_float;
  if (tensor.is_float) {
    host.values.assign(tensor.floats.begin(), tensor.floats.end());
  } else {
    host.values.reserve(tensor.ints.size());
    for (int64_t v : tensor.ints) host.values.push_back(static_cast<double>(v));
  }
  return host;
}

Result<OnnxConstants> make_onnx_constants(const weights::OnnxGraph& graph) {
  OnnxConstants constants;
  for (const auto& [name, tensor] : graph.initializers) {
    OnnxConstant c;
    if (tensor.is_float) {
      auto weight = engine::Tensor::from_f32(tensor.floats, tensor.dims);
      if (!weight.is_ok()) return weight.status().with_context("initializer '" + name + "'");
      c.weight = std::move(*weight);
    }
    if (tensor.numel() <= (tensor.is_float ? kOnnxMaxHostFloatElements : kOnnxMaxHostElements)) {
      c.has_host = true;
      c.host = onnx_host_tensor(tensor);
    }
    constants.emplace(name, std::move(c));
  }
  return constants;
}

}  // namespace upres::models
