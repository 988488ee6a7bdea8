// NcnnLayerBlobs: the per-type weight read sequences.
#include "weights/ncnn_layer_blobs.h"

#include <set>
#include <string_view>

namespace upres::weights {
namespace {

const std::set<std::string_view, std::less<>> kWeightless{
    "Input", "Split", "Concat", "Eltwise", "BinaryOp", "UnaryOp", "Crop", "Interp", "PixelShuffle",
    "Reorg", "Pooling", "ReLU", "Sigmoid", "TanH", "Clip", "Padding", "Reshape", "Permute", "Slice",
    "Softmax", "Flatten", "Noop", "HardSwish", "HardSigmoid", "Swish", "Mish", "ELU", "GELU", "Dropout",
    "ShuffleChannel", "MatMul", "Exp", "Log", "Power", "Abs", "Threshold", "ExpandDims", "Squeeze",
    "Reduction", "ArgMax", "Tile", "Cast", "Erf", "SELU", "Pooling1D", "Pooling3D", "Deconvolution_dummy"};

NcnnBlobRead raw(std::string suffix, int64_t count) { return {std::move(suffix), count, false, {count}}; }

// Weight shape [out, in, kh, kw] (ncnn layout == PyTorch OIHW; grouped: in = in/group) when the
// params divide the count exactly, else flat.
std::vector<int64_t> conv_shape(const NcnnLayer& layer, int64_t count) {
  const NcnnParamDict& p = layer.params;
  int64_t out = p.get_int(0, 0), kw = p.get_int(1, 0), kh = layer.type.ends_with("1D") ? 1 : p.get_int(11, kw);
  bool plausible = out > 0 && out < (1 << 24) && kw > 0 && kw < 4096 && kh > 0 && kh < 4096;
  if (layer.type.ends_with("3D") || !plausible || count % (out * kw * kh) != 0) return {count};
  if (layer.type.ends_with("1D")) return {out, count / (out * kw), kw};
  return {out, count / (out * kw * kh), kh, kw};
}

void add_int8_scales(const NcnnLayer& layer, std::vector<NcnnBlobRead>& reads) {
  const NcnnParamDict& p = layer.params;
  int32_t term = p.get_int(8, 0);
  if (term == 0) return;
  if (layer.type == "ConvolutionDepthWise") {
    if (term == 1 || term == 101) reads.push_back(raw("weight_int8_scales", p.get_int(7, 1)));
    if (term == 2 || term == 102) reads.push_back(raw("weight_int8_scales", 1));
  } else {
    reads.push_back(raw("weight_int8_scales", p.get_int(0, 0)));
  }
  reads.push_back(raw("input_int8_scale", 1));
  if (term > 100 && layer.type != "InnerProduct") reads.push_back(raw("output_int8_scale", 1));
}

std::vector<NcnnBlobRead> convolution_reads(const NcnnLayer& layer) {
  const NcnnParamDict& p = layer.params;
  bool deconv = layer.type.starts_with("Deconvolution");
  if (p.get_int(deconv ? 28 : 19, 0) != 0) return {};  // dynamic weight: from the second input
  int64_t count = p.get_int(6, 0);
  std::vector<NcnnBlobRead> reads{{"weight", count, true, conv_shape(layer, count)}};
  if (p.get_int(5, 0) != 0) reads.push_back(raw("bias", p.get_int(0, 0)));
  if (!deconv && (layer.type == "Convolution" || layer.type == "ConvolutionDepthWise")) add_int8_scales(layer, reads);
  return reads;
}

std::vector<NcnnBlobRead> inner_product_reads(const NcnnLayer& layer) {
  const NcnnParamDict& p = layer.params;
  int64_t out = p.get_int(0, 0), count = p.get_int(2, 0);
  std::vector<int64_t> shape{count};
  if (out > 0 && count % out == 0) shape = {out, count / out};
  std::vector<NcnnBlobRead> reads{{"weight", count, true, shape}};
  if (p.get_int(1, 0) != 0) reads.push_back(raw("bias", out));
  add_int8_scales(layer, reads);
  return reads;
}

std::vector<NcnnBlobRead> norm_reads(const NcnnLayer& layer) {
  const NcnnParamDict& p = layer.params;
  const std::string& t = layer.type;
  if (t == "BatchNorm") {
    int64_t c = p.get_int(0, 0);
    return {raw("slope", c), raw("mean", c), raw("var", c), raw("bias", c)};
  }
  bool group = t == "GroupNorm";
  if (p.get_int(group ? 3 : 2, 1) == 0) return {};
  int64_t c = p.get_int(group ? 1 : 0, 0);
  return {raw("gamma", c), raw("beta", c)};
}

std::vector<NcnnBlobRead> memory_data_reads(const NcnnLayer& layer) {
  const NcnnParamDict& p = layer.params;
  int64_t count = 1;
  std::vector<int64_t> shape;
  for (int id : {2, 11, 1, 0}) {  // c, d, h, w
    int64_t d = p.get_int(id, 0);
    if (d != 0) {
      shape.push_back(d);
      count = d < 0 || count > (int64_t{1} << 40) / d ? -1 : count * d;
    }
  }
  if (shape.empty()) return {};
  return {{"data", count, p.get_int(21, 1) == 0, count < 0 ? std::vector<int64_t>{count} : shape}};
}

Result<std::vector<NcnnBlobRead>> reads_by_type(const NcnnLayer& layer) {
  const std::string& t = layer.type;
  const NcnnParamDict& p = layer.params;
  if (t.starts_with("Convolution") || t.starts_with("Deconvolution")) return convolution_reads(layer);
  if (t == "InnerProduct") return inner_product_reads(layer);
  if (t == "PReLU") return std::vector<NcnnBlobRead>{raw("slope", p.get_int(0, 0))};
  if (t == "Bias") return std::vector<NcnnBlobRead>{raw("bias", p.get_int(0, 0))};
  if (t == "Scale") {
    int64_t n = p.get_int(0, 0);
    if (n == -233) return std::vector<NcnnBlobRead>{};  // scale comes from the second input
    std::vector<NcnnBlobRead> reads{raw("scale", n)};
    if (p.get_int(1, 0) != 0) reads.push_back(raw("bias", n));
    return reads;
  }
  if (t == "BatchNorm" || t == "InstanceNorm" || t == "LayerNorm" || t == "GroupNorm") return norm_reads(layer);
  if (t == "MemoryData") return memory_data_reads(layer);
  if (kWeightless.count(t) != 0) return std::vector<NcnnBlobRead>{};
  return unsupported("layer '" + layer.name + "' has type '" + t + "', whose weights upres cannot locate");
}

}  // namespace

Result<std::vector<NcnnBlobRead>> ncnn_layer_blobs(const NcnnLayer& layer) {
  UPRES_ASSIGN_OR_RETURN(auto reads, reads_by_type(layer));
  for (const NcnnBlobRead& read : reads) {
    if (read.count < 0) {
      return corrupt("layer '" + layer.name + "' declares a negative size for its " + read.suffix);
    }
  }
  return reads;
}

}  // namespace upres::weights
