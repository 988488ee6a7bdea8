// OnnxUpscaleModel: loading, probing and the per-size graph.
#include "models/onnx/onnx_upscale_model.h"

#include <algorithm>
#include <utility>

#include "engine/buffer_plan.h"
#include "models/onnx/onnx_graph_translator.h"
#include "weights/onnx_reader.h"

namespace upres::models {
namespace {

constexpr int kChannels = 3;
constexpr int kPeakProbePx = 64;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + weights::onnx_printable(n);
  return out;
}

// The file's names may hold any bytes: messages keep printable UTF-8 only.
Status printable(const Status& status, const std::string& file) {
  return Status(status.code(), weights::onnx_printable(status.message())).with_context(file);
}

}  // namespace

Result<std::shared_ptr<const OnnxUpscaleModel>> OnnxUpscaleModel::load(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(weights::OnnxGraph onnx, weights::read_onnx_file(path));
  const std::string file = path.string();
  std::vector<std::string> missing = unsupported_onnx_ops(onnx);
  if (!missing.empty()) {
    return unsupported(file + ": op " + join(missing) + (missing.size() == 1 ? " is" : " are") + " not supported");
  }
  if (onnx.inputs.size() != 1 || onnx.outputs.empty()) {
    return unsupported(file + ": the graph has " + std::to_string(onnx.inputs.size()) +
                       " run-time inputs; upres runs single-image models with one input");
  }
  const weights::OnnxValueInfo& in = onnx.inputs[0];
  if (in.has_shape && (in.dims.size() != 4 || (in.dims[1] != -1 && in.dims[1] != kChannels))) {
    return unsupported(file + ": input '" + weights::onnx_printable(in.name) +
                       "' is not [N, 3, H, W]; upres runs RGB models");
  }
  auto model = std::shared_ptr<OnnxUpscaleModel>(new OnnxUpscaleModel());
  model->path_ = path;
  auto constants = make_onnx_constants(onnx);
  if (!constants.is_ok()) return printable(constants.status(), file);
  model->constants_ = std::move(*constants);
  model->onnx_ = std::move(onnx);
  Status probed = model->probe();
  if (!probed.is_ok()) return printable(probed, file);
  return std::shared_ptr<const OnnxUpscaleModel>(std::move(model));
}

Result<engine::Graph> OnnxUpscaleModel::translate(int height, int width) const {
  engine::Graph graph;
  engine::Value x = graph.input("input", {1, kChannels, height, width});
  OnnxGraphTranslator translator(graph, onnx_, constants_);
  UPRES_ASSIGN_OR_RETURN(engine::Value y, translator.translate(x));
  graph.mark_output(y);
  UPRES_RETURN_IF_ERROR(graph.status());
  graph.remove_dead_nodes();
  return graph;
}

// The size multiple is the smallest power of two at which two sizes (3m and 5m) both build;
// the scale is output / input at those sizes, and must be the same integer for both.
Status OnnxUpscaleModel::probe() {
  Status first_error;
  for (int m = 1; m <= 64; m *= 2) {
    auto small = translate(3 * m, 5 * m);
    auto large = small.is_ok() ? translate(5 * m, 3 * m) : small;
    if (!small.is_ok() || !large.is_ok()) {
      if (first_error.is_ok()) first_error = small.is_ok() ? large.status() : small.status();
      if (first_error.code() == StatusCode::kUnsupported) return first_error;
      continue;
    }
    const engine::Shape& a = small->shape(small->outputs()[0]);
    const engine::Shape& b = large->shape(large->outputs()[0]);
    if (a.size() != 4 || a[1] != kChannels) {
      return unsupported("the graph outputs " + engine::shape_to_string(a) + "; upres runs models with RGB output");
    }
    const int64_t s = a[2] / (3 * m);
    if (s < 1 || s > 16 || a[2] != 3 * m * s || a[3] != 5 * m * s || b[2] != 5 * m * s || b[3] != 3 * m * s) {
      return unsupported("the output " + engine::shape_to_string(a) + " is not a whole multiple of the input " +
                         std::to_string(3 * m) + "x" + std::to_string(5 * m));
    }
    scale_ = static_cast<int>(s);
    size_multiple_ = m;
    // Per-pixel peak at two sizes, the larger kept: global attention grows with the square of
    // the pixel count, so the per-pixel figure rises with the tile.
    for (int px : {kPeakProbePx, 2 * kPeakProbePx}) {
      const int peak_px = (px + m - 1) / m * m;
      UPRES_ASSIGN_OR_RETURN(engine::Graph peak, translate(peak_px, peak_px));
      UPRES_ASSIGN_OR_RETURN(engine::BufferPlan plan, engine::plan_buffers(peak, 4));
      bytes_per_input_pixel_ = std::max(bytes_per_input_pixel_,
                                        static_cast<double>(plan.peak_bytes) / (double{1} * peak_px * peak_px));
    }
    return Status::ok();
  }
  return first_error.with_context("the graph builds at no probe size (is its input size fixed?)");
}

Result<engine::Graph> OnnxUpscaleModel::build_graph(int height, int width) const {
  if (height < 1 || width < 1 || height % size_multiple_ != 0 || width % size_multiple_ != 0) {
    return invalid_argument(path_.string() + ": input size " + std::to_string(height) + "x" + std::to_string(width) +
                            " is not a positive multiple of " + std::to_string(size_multiple_));
  }
  auto graph = translate(height, width);
  if (!graph.is_ok()) return printable(graph.status(), path_.string());
  const engine::Shape& s = graph->shape(graph->outputs()[0]);
  if (s.size() != 4 || s[2] != int64_t{height} * scale_ || s[3] != int64_t{width} * scale_) {
    return invalid_argument(path_.string() + ": graph output " + engine::shape_to_string(s) + " is not " +
                            std::to_string(scale_) + "x the input");
  }
  return graph;
}

Result<std::shared_ptr<const UpscaleModel>> load_onnx_upscale_model(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<const OnnxUpscaleModel> model, OnnxUpscaleModel::load(path));
  return std::shared_ptr<const UpscaleModel>(std::move(model));
}

}  // namespace upres::models
