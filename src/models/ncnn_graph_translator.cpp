// NcnnGraphTranslator: blob bookkeeping and the per-type dispatch.
#include "models/ncnn_graph_translator.h"

#include <set>
#include <utility>

namespace upres::models {

std::string ncnn_layer_context(const weights::NcnnLayer& layer) {
  return "layer '" + layer.name + "' (" + layer.type + ")";
}

int count_ncnn_global_means(const weights::NcnnGraph& ncnn) {
  int count = 0;
  for (const weights::NcnnLayer& layer : ncnn.layers) {
    count += layer.type == "Pooling" && layer.params.get_int(0, 0) == 1 && layer.params.get_int(4, 0) != 0;
  }
  return count;
}

NcnnGraphTranslator::NcnnGraphTranslator(engine::Graph& graph, const NcnnLayerTensors& tensors,
                                         const NcnnGlobalMeanBinding* means)
    : graph_(graph), tensors_(tensors), means_(means) {}

Result<engine::Value> NcnnGraphTranslator::translate(const weights::NcnnGraph& ncnn, engine::Value input) {
  int input_layers = 0;
  for (const weights::NcnnLayer& layer : ncnn.layers) {
    if (layer.type != "Input") continue;
    if (layer.outputs.size() != 1) return corrupt(ncnn_layer_context(layer) + ": must have one output blob");
    blobs_[layer.outputs[0]] = NcnnBlob{input, 3};
    ++input_layers;
  }
  if (input_layers != 1) {
    return unsupported("ncnn graph has " + std::to_string(input_layers) + " Input layers; upres runs graphs with one");
  }
  std::set<std::string> read;
  for (const weights::NcnnLayer& layer : ncnn.layers) {
    if (layer.type == "Input") continue;
    UPRES_RETURN_IF_ERROR(translate_layer(layer));
    if (stopped_at_.is_valid()) return stopped_at_;
    read.insert(layer.inputs.begin(), layer.inputs.end());
  }
  if (means_ != nullptr && (means_->stop_at >= 0 || static_cast<int>(means_->supplied.size()) > global_means_seen_)) {
    return invalid_argument("ncnn graph has " + std::to_string(global_means_seen_) +
                            " global averages, fewer than the tiled run binds");
  }
  std::vector<std::string> unread;
  for (const weights::NcnnLayer& layer : ncnn.layers) {
    for (const std::string& name : layer.outputs) {
      if (read.count(name) == 0 && layer.type != "Input") unread.push_back(name);
    }
  }
  if (unread.size() != 1) {
    return unsupported("ncnn graph has " + std::to_string(unread.size()) +
                       " output blobs (blobs no layer reads); upres runs graphs with one");
  }
  const NcnnBlob& out = blobs_.at(unread[0]);
  if (out.dims != 3) return unsupported("ncnn output blob '" + unread[0] + "' is not a [c, h, w] image");
  return out.value;
}

Result<std::vector<NcnnBlob>> NcnnGraphTranslator::layer_inputs(const weights::NcnnLayer& layer) const {
  std::vector<NcnnBlob> xs;
  for (const std::string& name : layer.inputs) {
    auto it = blobs_.find(name);
    if (it == blobs_.end()) return corrupt(ncnn_layer_context(layer) + ": reads blob '" + name + "' before any layer writes it");
    xs.push_back(it->second);
  }
  return xs;
}

Result<engine::Tensor> NcnnGraphTranslator::tensor(const weights::NcnnLayer& layer, const std::string& suffix) const {
  const engine::Tensor* t = tensors_.find(layer.name + "." + suffix);
  if (t == nullptr) return corrupt(ncnn_layer_context(layer) + ": has no '" + suffix + "' blob in the .bin");
  return *t;
}

engine::Tensor NcnnGraphTranslator::optional_tensor(const weights::NcnnLayer& layer, const std::string& suffix) const {
  const engine::Tensor* t = tensors_.find(layer.name + "." + suffix);
  return t == nullptr ? engine::Tensor() : *t;
}

Status NcnnGraphTranslator::check(const weights::NcnnLayer& layer) const {
  if (graph_.status().is_ok()) return Status::ok();
  return graph_.status().with_context(ncnn_layer_context(layer));
}

Status NcnnGraphTranslator::translate_layer(const weights::NcnnLayer& layer) {
  UPRES_ASSIGN_OR_RETURN(std::vector<NcnnBlob> xs, layer_inputs(layer));
  const std::string& t = layer.type;
  if (xs.empty()) return corrupt(ncnn_layer_context(layer) + ": has no input blob");
  std::vector<NcnnBlob> outs;
  Result<NcnnBlob> one = NcnnBlob{};
  if (t == "Split") {
    outs.assign(layer.outputs.size(), xs[0]);
  } else if (t == "Slice") {
    UPRES_ASSIGN_OR_RETURN(outs, slice(layer, xs[0]));
  } else {
    if (t == "Convolution" || t == "ConvolutionDepthWise") one = convolution(layer, xs[0]);
    else if (t == "Deconvolution") one = deconvolution(layer, xs[0]);
    else if (t == "InnerProduct") one = inner_product(layer, xs[0]);
    else if (t == "PReLU") one = prelu(layer, xs[0]);
    else if (t == "Scale") one = scale(layer, xs);
    else if (t == "BinaryOp") one = binary_op(layer, xs);
    else if (t == "Eltwise") one = eltwise(layer, xs);
    else if (t == "ReLU" || t == "Sigmoid" || t == "TanH" || t == "UnaryOp" || t == "Noop" || t == "Dropout") one = unary(layer, xs[0]);
    else if (t == "Crop") one = crop(layer, xs);
    else if (t == "Interp") one = interp(layer, xs[0]);
    else if (t == "PixelShuffle") one = pixel_shuffle(layer, xs[0]);
    else if (t == "Concat") one = concat(layer, xs);
    else if (t == "Padding") one = padding(layer, xs[0]);
    else if (t == "Pooling") one = pooling(layer, xs[0]);
    else return unsupported("ncnn layer type '" + t + "' (layer '" + layer.name + "') is not supported by upres");
    if (!one.is_ok()) return one.status().with_context(ncnn_layer_context(layer));
    outs.push_back(*one);
  }
  UPRES_RETURN_IF_ERROR(check(layer));
  if (outs.size() != layer.outputs.size()) {
    return corrupt(ncnn_layer_context(layer) + ": declares " + std::to_string(layer.outputs.size()) +
                   " outputs, upres made " + std::to_string(outs.size()));
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    if (!outs[i].value.is_valid()) return internal_error(ncnn_layer_context(layer) + ": produced no value");
    if (t != "Split") graph_.named(outs[i].value, layer.name);
    blobs_[layer.outputs[i]] = outs[i];
  }
  return Status::ok();
}

Result<int> NcnnGraphTranslator::engine_axis(const weights::NcnnLayer& layer, int axis, int dims) const {
  int a = axis < 0 ? axis + dims : axis;
  if (a < 0 || a >= dims) return invalid_argument("axis " + std::to_string(axis) + " out of range for a " + std::to_string(dims) + "-d blob");
  return a + 1;
}

}  // namespace upres::models
