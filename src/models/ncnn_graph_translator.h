// NcnnGraphTranslator: turns the layers of an ncnn .param graph into engine ops, one ncnn layer at
// a time, tracking each ncnn blob as an engine Value plus its ncnn rank. One translator per
// build_graph() call; not thread-safe (it owns the graph being built).
// Layer semantics: ../shared/reference/model-formats.md section 1.3 (ncnn src/layer/*.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "engine/graph.h"
#include "models/ncnn_layer_tensors.h"
#include "weights/ncnn_graph.h"

namespace upres::models {

// An ncnn blob inside the engine graph. ncnn drops the batch axis, so a blob of ncnn rank d
// (1: [w], 2: [h, w], 3: [c, h, w]) is the engine value [1, ...ncnn shape].
struct NcnnBlob {
  engine::Value value;
  int dims = 3;
};

// What replaces the graph's global averages (Pooling with global=1, average) in a tiled run: the
// first `supplied.size()` are these values ([1, C, 1, 1]); with stop_at = i >= 0, translation ends
// at average number i and returns the feature map it would average.
struct NcnnGlobalMeanBinding {
  std::vector<engine::Value> supplied;
  int stop_at = -1;
};

class NcnnGraphTranslator {
 public:
  // `graph` receives the ops; `tensors` are the layers' weights (outlive the translator);
  // `means`, if given, rebinds the global averages (outlives the translator).
  NcnnGraphTranslator(engine::Graph& graph, const NcnnLayerTensors& tensors,
                      const NcnnGlobalMeanBinding* means = nullptr);

  // Binds the Input layer's blob (there must be exactly one Input layer) to `input`
  // [1, C, H, W], translates every other layer in file order and returns the one blob no layer
  // reads (or the feature map a stopping binding asks for). Unsupported names the layer type and
  // name it cannot map; InvalidArgument when shapes do not fit (e.g. an input too small for the
  // valid convolutions) or the binding wants more averages than the graph has.
  Result<engine::Value> translate(const weights::NcnnGraph& ncnn, engine::Value input);

 private:
  Status translate_layer(const weights::NcnnLayer& layer);
  Result<std::vector<NcnnBlob>> layer_inputs(const weights::NcnnLayer& layer) const;
  const engine::Shape& shape(const NcnnBlob& blob) const { return graph_.shape(blob.value); }
  // The weight tensor "<layer>.<suffix>", or Corrupt when the reader did not provide it.
  Result<engine::Tensor> tensor(const weights::NcnnLayer& layer, const std::string& suffix) const;
  engine::Tensor optional_tensor(const weights::NcnnLayer& layer, const std::string& suffix) const;

  // Weighted layers and activations (ncnn_translate_conv.cpp).
  Result<NcnnBlob> convolution(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> deconvolution(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> inner_product(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> prelu(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> scale(const weights::NcnnLayer& layer, const std::vector<NcnnBlob>& xs);
  // The fused activation of Convolution/Deconvolution/InnerProduct (params 9 and 10).
  Result<engine::Value> fused_activation(const weights::NcnnLayer& layer, engine::Value x);

  // Elementwise arithmetic (ncnn_translate_arith.cpp).
  Result<NcnnBlob> binary_op(const weights::NcnnLayer& layer, const std::vector<NcnnBlob>& xs);
  Result<NcnnBlob> eltwise(const weights::NcnnLayer& layer, const std::vector<NcnnBlob>& xs);
  Result<NcnnBlob> unary(const weights::NcnnLayer& layer, const NcnnBlob& x);
  // ncnn's broadcast of a 1-D operand against a 3-D one: per-channel when its length is the
  // channel count, else per-column. Returns `b` reshaped for engine broadcasting.
  Result<engine::Value> broadcast_operand(const NcnnBlob& a, const NcnnBlob& b);

  // Data movement (ncnn_translate_layout.cpp).
  Result<NcnnBlob> crop(const weights::NcnnLayer& layer, const std::vector<NcnnBlob>& xs);
  Result<NcnnBlob> interp(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> pixel_shuffle(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> concat(const weights::NcnnLayer& layer, const std::vector<NcnnBlob>& xs);
  Result<std::vector<NcnnBlob>> slice(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> padding(const weights::NcnnLayer& layer, const NcnnBlob& x);
  Result<NcnnBlob> pooling(const weights::NcnnLayer& layer, const NcnnBlob& x);
  // Engine axis of ncnn axis `axis` (negative counts from the end) of a blob of rank `dims`.
  Result<int> engine_axis(const weights::NcnnLayer& layer, int axis, int dims) const;

  // Records the graph's first error, prefixed with the layer, or OK.
  Status check(const weights::NcnnLayer& layer) const;

  engine::Graph& graph_;
  const NcnnLayerTensors& tensors_;
  const NcnnGlobalMeanBinding* means_;
  int global_means_seen_ = 0;
  engine::Value stopped_at_;  // the feature map a stopping binding returns, once reached
  std::unordered_map<std::string, NcnnBlob> blobs_;
};

// "layer 'Conv_0' (Convolution)", the context of messages.
std::string ncnn_layer_context(const weights::NcnnLayer& layer);

// The number of global averages (Pooling, global, average) in the graph.
int count_ncnn_global_means(const weights::NcnnGraph& ncnn);

}  // namespace upres::models
