// NcnnUpscaleModel: any ncnn .param/.bin graph of supported layers run as an UpscaleModel, with
// the ncnn-vulkan host programs' pre-padding, output crop and residual folded into the graph so
// the model is self-contained. Immutable after loading; thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "models/ncnn_graph_translator.h"
#include "models/ncnn_host_convention.h"
#include "models/ncnn_layer_tensors.h"
#include "models/upscale_model.h"
#include "weights/ncnn_graph.h"

namespace upres::models {

class NcnnUpscaleModel final : public UpscaleModel {
 public:
  // Reads `param_path` and the .bin beside it, converts every weight blob to fp32 and detects
  // the scale and host convention. Unsupported names the first layer type upres cannot map.
  static Result<std::shared_ptr<const NcnnUpscaleModel>> load(const std::filesystem::path& param_path);

  std::string architecture() const override { return "ncnn graph"; }
  int scale() const override { return convention_.scale; }
  double bytes_per_input_pixel() const override { return bytes_per_input_pixel_; }
  // [1, 3, height, width] in [0, 1] -> [1, 3, height * scale, width * scale]. Requires: height
  // and width >= 1.
  Result<engine::Graph> build_graph(int height, int width) const override;
  // Real-CUGAN and waifu2x (cunet, upconv_7) graphs are valid convolutions throughout.
  std::optional<ValidConvTiling> valid_conv_tiling() const override { return valid_tiling_; }
  Result<engine::Graph> build_window_graph(int height, int width, const GlobalMeanInputs& means) const override;

  const NcnnHostConvention& convention() const { return convention_; }
  const std::filesystem::path& param_path() const { return param_path_; }

 private:
  NcnnUpscaleModel() = default;
  // The bare ncnn graph on `input`, without the host convention.
  Result<engine::Value> add_ncnn_graph(engine::Graph& graph, engine::Value input,
                                       const NcnnGlobalMeanBinding* means = nullptr) const;
  // The feature map each global average reads, in a window graph of core height x width.
  Result<engine::Shape> global_mean_input_shape(int index, int height, int width) const;
  // Channels and feature-map density of each global average, from window graphs of two sizes.
  Status probe_global_means();

  std::filesystem::path param_path_;
  weights::NcnnGraph ncnn_;
  NcnnLayerTensors tensors_;
  NcnnHostConvention convention_;
  double bytes_per_input_pixel_ = 0;
  std::optional<ValidConvTiling> valid_tiling_;
  std::vector<int64_t> global_mean_channels_;
};

// The entry point load_upscale_model() calls for .param files.
Result<std::shared_ptr<const UpscaleModel>> load_ncnn_upscale_model(const std::filesystem::path& param_path);

}  // namespace upres::models
