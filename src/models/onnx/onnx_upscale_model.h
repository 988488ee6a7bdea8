// OnnxUpscaleModel: an ONNX model file (.onnx, as OpenModelDB and chaiNNer publish) of supported
// ops run as an UpscaleModel. The graph is rebuilt per input size, so dynamic-H/W exports (whose
// Shape arithmetic folds to constants) and fixed-size convolutional exports both run at any tile
// size; the scale is measured by building for two probe sizes. fp16 files run in fp32 (weights
// converted at load). Immutable after loading; thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "engine/graph.h"
#include "models/onnx/onnx_constants.h"
#include "models/upscale_model.h"
#include "weights/onnx_graph.h"

namespace upres::models {

class OnnxUpscaleModel final : public UpscaleModel {
 public:
  // Reads `path`, refuses unsupported ops ("op X is not supported", naming the file) before any
  // other work, converts the weights and probes the scale and the size multiple.
  static Result<std::shared_ptr<const OnnxUpscaleModel>> load(const std::filesystem::path& path);

  std::string architecture() const override { return "ONNX graph"; }
  int scale() const override { return scale_; }
  int size_multiple() const override { return size_multiple_; }
  double bytes_per_input_pixel() const override { return bytes_per_input_pixel_; }
  // [1, 3, height, width] -> [1, 3, height * scale, width * scale]. Requires: height and width
  // positive multiples of size_multiple().
  Result<engine::Graph> build_graph(int height, int width) const override;

  const weights::OnnxGraph& onnx() const { return onnx_; }

 private:
  OnnxUpscaleModel() = default;
  // The translated graph without the output-size check (for probing).
  Result<engine::Graph> translate(int height, int width) const;
  Status probe();

  std::filesystem::path path_;
  weights::OnnxGraph onnx_;
  OnnxConstants constants_;
  int scale_ = 1;
  int size_multiple_ = 1;
  double bytes_per_input_pixel_ = 0;
};

// The entry point load_upscale_model() calls for .onnx files.
Result<std::shared_ptr<const UpscaleModel>> load_onnx_upscale_model(const std::filesystem::path& path);

}  // namespace upres::models
