// NcnnUpscaleModel: loading, convention detection and the self-contained graph.
#include "models/ncnn_upscale_model.h"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "models/ncnn_graph_translator.h"
#include "weights/ncnn_reader.h"

namespace upres::models {
namespace {

using engine::Graph;
using engine::Shape;
using engine::Value;

constexpr int kChannels = 3;
constexpr int kPeakProbePx = 64;

// Pads with `mode`; reflect-101 beyond the input size is done by repeated reflection (as
// OpenCV's BORDER_REFLECT_101, which realcugan-ncnn-vulkan uses, extends a small tile).
Value pad_border(Graph& graph, Value v, engine::PadAttrs want) {
  if (want.mode != engine::PadMode::kReflect) return graph.pad(v, want);
  while (v.is_valid() && (want.left > 0 || want.right > 0 || want.top > 0 || want.bottom > 0)) {
    const Shape& s = graph.shape(v);
    int max_w = static_cast<int>(std::min<int64_t>(s[3] - 1, 1 << 20));
    int max_h = static_cast<int>(std::min<int64_t>(s[2] - 1, 1 << 20));
    if (max_w < 1 && (want.left > 0 || want.right > 0)) {  // one column: reflect-101 repeats it
      v = graph.pad(v, {.left = want.left, .right = want.right, .mode = engine::PadMode::kReplicate});
      want.left = want.right = 0;
      continue;
    }
    if (max_h < 1 && (want.top > 0 || want.bottom > 0)) {
      v = graph.pad(v, {.top = want.top, .bottom = want.bottom, .mode = engine::PadMode::kReplicate});
      want.top = want.bottom = 0;
      continue;
    }
    engine::PadAttrs step{.left = std::min(want.left, max_w), .right = std::min(want.right, max_w),
                          .top = std::min(want.top, max_h), .bottom = std::min(want.bottom, max_h),
                          .mode = engine::PadMode::kReflect};
    v = graph.pad(v, step);
    want.left -= step.left;
    want.right -= step.right;
    want.top -= step.top;
    want.bottom -= step.bottom;
  }
  return v;
}

// Peak bytes of fp32 values alive at once when the nodes run in order (a value lives from its
// producer to its last reader; graph inputs from the start, outputs to the end).
double peak_activation_bytes(const Graph& graph) {
  const auto& nodes = graph.nodes();
  std::vector<size_t> last_use(graph.value_info().size(), 0);
  for (size_t v = 0; v < last_use.size(); ++v) {
    last_use[v] = static_cast<size_t>(std::max<int32_t>(graph.value_info()[v].producer, 0));
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (Value in : nodes[i].inputs) last_use[static_cast<size_t>(in.id)] = i;
  }
  for (Value out : graph.outputs()) last_use[static_cast<size_t>(out.id)] = nodes.size();
  auto bytes = [&](Value v) { return 4.0 * static_cast<double>(engine::shape_numel(graph.shape(v))); };
  double live = 0;
  for (Value in : graph.inputs()) live += bytes(in);
  double peak = live;
  std::vector<std::vector<Value>> dying(nodes.size() + 1);
  for (size_t v = 0; v < last_use.size(); ++v) dying[last_use[v]].push_back(Value{static_cast<int32_t>(v)});
  for (size_t i = 0; i < nodes.size(); ++i) {
    live += bytes(nodes[i].output);
    peak = std::max(peak, live);
    for (Value v : dying[i]) live -= bytes(v);
  }
  return peak;
}

}  // namespace

Result<std::shared_ptr<const NcnnUpscaleModel>> NcnnUpscaleModel::load(const std::filesystem::path& param_path) {
  UPRES_ASSIGN_OR_RETURN(weights::NcnnModel file, weights::read_ncnn_files(param_path));
  auto model = std::shared_ptr<NcnnUpscaleModel>(new NcnnUpscaleModel());
  model->param_path_ = param_path;
  UPRES_ASSIGN_OR_RETURN(model->tensors_, NcnnLayerTensors::from_model(file));
  model->ncnn_ = std::move(file.graph);
  const NcnnUpscaleModel& m = *model;
  auto output_size = [&m](int64_t h, int64_t w) -> Result<std::pair<int64_t, int64_t>> {
    Graph graph;
    Value in = graph.input("input", {1, kChannels, h, w});
    UPRES_ASSIGN_OR_RETURN(Value out, m.add_ncnn_graph(graph, in));
    const Shape& s = graph.shape(out);
    if (s[1] != kChannels) {
      return unsupported("ncnn graph outputs " + std::to_string(s[1]) + " channels; upres runs RGB models");
    }
    return std::pair{s[2], s[3]};
  };
  auto convention = detect_ncnn_host_convention(model->ncnn_, param_path, output_size);
  if (!convention.is_ok()) return convention.status().with_context(param_path.string());
  model->convention_ = *convention;
  UPRES_ASSIGN_OR_RETURN(Graph probe, model->build_graph(kPeakProbePx, kPeakProbePx));
  model->bytes_per_input_pixel_ = peak_activation_bytes(probe) / (kPeakProbePx * kPeakProbePx);
  if (model->convention_.family != NcnnHostConvention::Family::kPlain) {
    ValidConvTiling tiling{.context_px = model->convention_.prepadding_px,
                           .alignment = model->convention_.multiple,
                           .border = model->convention_.border};
    model->valid_tiling_ = tiling;
    Status probed = model->probe_global_means();
    if (!probed.is_ok()) return probed.with_context(param_path.string());
  }
  return std::shared_ptr<const NcnnUpscaleModel>(std::move(model));
}

Result<engine::Shape> NcnnUpscaleModel::global_mean_input_shape(int index, int height, int width) const {
  const int context = valid_tiling_->context_px;
  Graph graph;
  Value x = graph.input("input", {1, kChannels, height + 2 * context, width + 2 * context});
  NcnnGlobalMeanBinding binding{.stop_at = index};
  UPRES_ASSIGN_OR_RETURN(Value v, add_ncnn_graph(graph, x, &binding));
  if (!graph.status().is_ok()) return graph.status();
  return graph.shape(v);
}

Status NcnnUpscaleModel::probe_global_means() {
  constexpr int kSmall = 64, kLarge = 128;  // multiples of every alignment
  const int count = count_ncnn_global_means(ncnn_);
  for (int i = 0; i < count; ++i) {
    UPRES_ASSIGN_OR_RETURN(Shape small, global_mean_input_shape(i, kSmall, kSmall));
    UPRES_ASSIGN_OR_RETURN(Shape large, global_mean_input_shape(i, kLarge, kLarge));
    const int grow = static_cast<int>(large[2] - small[2]), span = kLarge - kSmall;
    if (grow <= 0 || large[3] - small[3] != grow) {
      return unsupported("global average " + std::to_string(i) + " does not grow evenly with the input");
    }
    const int divisor = std::gcd(grow, span);
    valid_tiling_->global_mean_density.emplace_back(grow / divisor, span / divisor);
    global_mean_channels_.push_back(small[1]);
  }
  return Status::ok();
}

Result<Graph> NcnnUpscaleModel::build_window_graph(int height, int width, const GlobalMeanInputs& means) const {
  if (!valid_tiling_) return UpscaleModel::build_window_graph(height, width, means);
  const int a = valid_tiling_->alignment, context = valid_tiling_->context_px;
  if (height < 1 || width < 1 || height % a != 0 || width % a != 0) {
    return invalid_argument("window " + std::to_string(height) + "x" + std::to_string(width) +
                            " is not a positive multiple of " + std::to_string(a));
  }
  if (means.supplied < 0 || means.supplied > static_cast<int>(global_mean_channels_.size()) ||
      (means.stop && means.supplied == static_cast<int>(global_mean_channels_.size()))) {
    return invalid_argument("the graph has " + std::to_string(global_mean_channels_.size()) + " global averages");
  }
  Graph graph;
  Value x = graph.input("input", {1, kChannels, height + 2 * context, width + 2 * context});
  NcnnGlobalMeanBinding binding{.stop_at = means.stop ? means.supplied : -1};
  for (int i = 0; i < means.supplied; ++i) {
    binding.supplied.push_back(
        graph.input("mean" + std::to_string(i), {1, global_mean_channels_[static_cast<size_t>(i)], 1, 1}));
  }
  UPRES_ASSIGN_OR_RETURN(Value v, add_ncnn_graph(graph, x, &binding));
  if (!means.stop) {
    const int64_t out_h = int64_t{height} * scale(), out_w = int64_t{width} * scale();
    const Shape& s = graph.shape(v);
    if (s[2] != out_h || s[3] != out_w) {
      return internal_error(param_path_.string() + ": window output " + engine::shape_to_string(s) + " is not " +
                            std::to_string(scale()) + "x the window core");
    }
    if (convention_.add_nearest_input) {
      Value core = graph.slice(graph.slice(x, 2, context, context + height), 3, context, context + width);
      v = graph.add(v, graph.resize(core, {.mode = engine::ResizeMode::kNearest, .out_h = out_h, .out_w = out_w}));
    }
  }
  graph.mark_output(v);
  if (!graph.status().is_ok()) return graph.status().with_context(param_path_.string());
  return graph;
}

Result<Value> NcnnUpscaleModel::add_ncnn_graph(Graph& graph, Value input, const NcnnGlobalMeanBinding* means) const {
  NcnnGraphTranslator translator(graph, tensors_, means);
  auto out = translator.translate(ncnn_, input);
  if (!out.is_ok()) return out.status().with_context(param_path_.string());
  return out;
}

Result<Graph> NcnnUpscaleModel::build_graph(int height, int width) const {
  if (height < 1 || width < 1) {
    return invalid_argument("input size " + std::to_string(height) + "x" + std::to_string(width) + " must be positive");
  }
  const NcnnHostConvention& c = convention_;
  Graph graph;
  Value x = graph.input("input", {1, kChannels, height, width});
  Value v = x;
  int extra_h = (height + c.multiple - 1) / c.multiple * c.multiple - height;
  int extra_w = (width + c.multiple - 1) / c.multiple * c.multiple - width;
  int p = c.prepadding_px;
  if (p + extra_h + extra_w > 0) {
    v = pad_border(graph, v, {.left = p, .right = p + extra_w, .top = p, .bottom = p + extra_h, .mode = c.border});
  }
  if (!graph.status().is_ok()) return graph.status().with_context(param_path_.string());
  UPRES_ASSIGN_OR_RETURN(v, add_ncnn_graph(graph, v));
  const int64_t out_h = static_cast<int64_t>(height) * c.scale, out_w = static_cast<int64_t>(width) * c.scale;
  const Shape& s = graph.shape(v);
  if (s[2] < out_h || s[3] < out_w) {
    return invalid_argument(param_path_.string() + ": graph output " + engine::shape_to_string(s) +
                            " is smaller than " + std::to_string(c.scale) + "x the input");
  }
  if (s[2] > out_h) v = graph.slice(v, 2, 0, out_h);
  if (s[3] > out_w) v = graph.slice(v, 3, 0, out_w);
  if (c.add_nearest_input) {
    Value up = graph.resize(x, {.mode = engine::ResizeMode::kNearest, .out_h = out_h, .out_w = out_w});
    v = graph.add(v, up);
  }
  graph.mark_output(v);
  if (!graph.status().is_ok()) return graph.status().with_context(param_path_.string());
  return graph;
}

Result<std::shared_ptr<const UpscaleModel>> load_ncnn_upscale_model(const std::filesystem::path& param_path) {
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<const NcnnUpscaleModel> model, NcnnUpscaleModel::load(param_path));
  return std::shared_ptr<const UpscaleModel>(std::move(model));
}

}  // namespace upres::models
