// load_upscale_model: opens a model file and hands it to the ncnn graph model (.param, or a .bin
// whose .param is beside it), the ONNX graph model (.onnx) or to the PyTorch architecture registry
// (.pth/.pt/.ckpt/.safetensors).
#include <string>

#include "models/architecture_registry.h"
#include "models/ncnn_upscale_model.h"
#include "models/onnx/onnx_upscale_model.h"
#include "models/upscale_model.h"
#include "weights/weight_file.h"

namespace upres::models {

Result<std::shared_ptr<const UpscaleModel>> load_upscale_model(const std::filesystem::path& path) {
  if (path.extension() == ".param") return load_ncnn_upscale_model(path);
  if (path.extension() == ".onnx") return load_onnx_upscale_model(path);
  UPRES_ASSIGN_OR_RETURN(weights::WeightFile file, weights::read_weight_file(path));
  if (file.ncnn_graph.has_value()) {
    return load_ncnn_upscale_model(std::filesystem::path(path).replace_extension(".param"));
  }
  return load_torch_upscale_model(file.weights, path.string());
}

}  // namespace upres::models
