// NcnnGraphTranslator: the weighted ncnn layers (Convolution, ConvolutionDepthWise, Deconvolution,
// InnerProduct, PReLU, Scale) and the fused activations of ncnn src/layer/fused_activation.h.
#include <utility>
#include <vector>

#include "models/ncnn_graph_translator.h"

namespace upres::models {
namespace {

using engine::Int2;
using engine::Shape;
using engine::Value;
using weights::NcnnLayer;

struct Window {
  Int2 kernel;
  Int2 stride;
  Int2 dilation;
  int left = 0, right = 0, top = 0, bottom = 0;
};

// Params 1/11 kernel, 2/12 dilation, 3/13 stride, 4/15/14/16 pads (w first; h defaults to w).
Result<Window> read_window(const NcnnLayer& layer) {
  const weights::NcnnParamDict& p = layer.params;
  Window win;
  int kw = p.get_int(1, 0), dw = p.get_int(2, 1), sw = p.get_int(3, 1);
  win.kernel = Int2(p.get_int(11, kw), kw);
  win.dilation = Int2(p.get_int(12, dw), dw);
  win.stride = Int2(p.get_int(13, sw), sw);
  win.left = p.get_int(4, 0);
  win.right = p.get_int(15, win.left);
  win.top = p.get_int(14, win.left);
  win.bottom = p.get_int(16, win.top);
  if (win.kernel.h < 1 || win.kernel.w < 1 || win.stride.h < 1 || win.stride.w < 1 ||
      win.dilation.h < 1 || win.dilation.w < 1) {
    return corrupt("kernel, stride and dilation must be >= 1");
  }
  return win;
}

// TF-style SAME padding (all pads -233: SAME_UPPER, -234: SAME_LOWER) for one axis.
std::pair<int, int> same_padding(int64_t size, int kernel, int stride, int dilation, bool upper) {
  int64_t extent = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  int64_t total = extent + (size - 1) / stride * stride - size;
  if (total < 0) total = 0;
  int small = static_cast<int>(total / 2), large = static_cast<int>(total - total / 2);
  return upper ? std::pair{small, large} : std::pair{large, small};
}

// Param 8 is int8_scale_term everywhere; `dynamic_weight_id` is the layer's dynamic-weight flag
// (weights from a second input), or -1 when the layer has none.
Status check_float_model(const NcnnLayer& layer, int dynamic_weight_id) {
  if (layer.params.get_int(8, 0) != 0) return unsupported("int8-quantized layers are not supported");
  if (dynamic_weight_id >= 0 && layer.params.get_int(dynamic_weight_id, 0) != 0) {
    return unsupported("dynamic weights (from a second input) are not supported");
  }
  return Status::ok();
}

}  // namespace

Result<Value> NcnnGraphTranslator::fused_activation(const NcnnLayer& layer, Value x) {
  int type = layer.params.get_int(9, 0);
  std::vector<float> args = layer.params.get_float_array(10);
  switch (type) {
    case 0: return x;
    case 1: return graph_.relu(x);
    case 2:
      if (args.empty()) return corrupt("leaky ReLU activation has no slope (param 10)");
      return graph_.leaky_relu(x, args[0]);
    case 4: return graph_.sigmoid(x);
    default: return unsupported("fused activation type " + std::to_string(type) + " is not supported");
  }
}

Result<NcnnBlob> NcnnGraphTranslator::convolution(const NcnnLayer& layer, const NcnnBlob& x) {
  UPRES_RETURN_IF_ERROR(check_float_model(layer, 19));
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  UPRES_ASSIGN_OR_RETURN(Window win, read_window(layer));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight, tensor(layer, "weight"));
  engine::Tensor bias = optional_tensor(layer, "bias");
  const Shape& in = shape(x);
  if (win.left <= -233 && win.right == win.left && win.top == win.left && win.bottom == win.left) {
    bool upper = win.left == -233;
    std::tie(win.left, win.right) = same_padding(in[3], win.kernel.w, win.stride.w, win.dilation.w, upper);
    std::tie(win.top, win.bottom) = same_padding(in[2], win.kernel.h, win.stride.h, win.dilation.h, upper);
  }
  if (win.left < 0 || win.right < 0 || win.top < 0 || win.bottom < 0) return unsupported("negative padding is not supported");
  float pad_value = layer.params.get_float(18, 0.0f);
  Value v = x.value;
  engine::Conv2dAttrs attrs;
  attrs.stride = win.stride;
  attrs.dilation = win.dilation;
  attrs.groups = layer.type == "ConvolutionDepthWise" ? layer.params.get_int(7, 1) : 1;
  if (win.left == win.right && win.top == win.bottom && pad_value == 0.0f) {
    attrs.padding = Int2(win.top, win.left);
  } else {
    v = graph_.pad(v, {.left = win.left, .right = win.right, .top = win.top, .bottom = win.bottom,
                       .mode = engine::PadMode::kZero, .value = pad_value});
  }
  if (weight.rank() != 4) return corrupt("weight shape " + engine::shape_to_string(weight.shape()) + " is not [out, in, kh, kw]");
  v = graph_.conv2d(v, weight, bias, attrs);
  UPRES_ASSIGN_OR_RETURN(v, fused_activation(layer, v));
  return NcnnBlob{v, 3};
}

Result<NcnnBlob> NcnnGraphTranslator::deconvolution(const NcnnLayer& layer, const NcnnBlob& x) {
  UPRES_RETURN_IF_ERROR(check_float_model(layer, 28));
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  UPRES_ASSIGN_OR_RETURN(Window win, read_window(layer));
  if (win.left < 0 || win.right < 0 || win.top < 0 || win.bottom < 0 || layer.params.get_int(20, 0) != 0) {
    return unsupported("SAME padding or an explicit output size is not supported");
  }
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight, tensor(layer, "weight"));
  engine::Tensor bias = optional_tensor(layer, "bias");
  int out_pad_w = layer.params.get_int(18, 0);
  int out_pad_h = layer.params.get_int(19, out_pad_w);
  engine::ConvTranspose2dAttrs attrs{.stride = win.stride, .output_padding = Int2(out_pad_h, out_pad_w),
                                     .dilation = win.dilation};
  bool symmetric = win.left == win.right && win.top == win.bottom;
  if (symmetric) attrs.padding = Int2(win.top, win.left);
  Value v = graph_.conv_transpose2d(x.value, weight, bias, attrs);
  if (!symmetric && v.is_valid()) {  // ncnn crops the pads from the full output
    const Shape& full = graph_.shape(v);
    v = graph_.slice(v, 2, win.top, full[2] - win.bottom);
    v = graph_.slice(v, 3, win.left, full[3] - win.right);
  }
  UPRES_ASSIGN_OR_RETURN(v, fused_activation(layer, v));
  return NcnnBlob{v, 3};
}

Result<NcnnBlob> NcnnGraphTranslator::inner_product(const NcnnLayer& layer, const NcnnBlob& x) {
  UPRES_RETURN_IF_ERROR(check_float_model(layer, -1));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight, tensor(layer, "weight"));
  if (weight.rank() != 2) return corrupt("weight shape " + engine::shape_to_string(weight.shape()) + " is not [out, in]");
  // ncnn flattens the input blob to one row.
  Value v = graph_.reshape(x.value, {1, engine::shape_numel(shape(x))});
  v = graph_.linear(v, weight, optional_tensor(layer, "bias"));
  UPRES_ASSIGN_OR_RETURN(v, fused_activation(layer, v));
  return NcnnBlob{v, 1};
}

Result<NcnnBlob> NcnnGraphTranslator::prelu(const NcnnLayer& layer, const NcnnBlob& x) {
  UPRES_ASSIGN_OR_RETURN(engine::Tensor slope, tensor(layer, "slope"));
  return NcnnBlob{graph_.prelu(x.value, slope), x.dims};
}

Result<NcnnBlob> NcnnGraphTranslator::scale(const NcnnLayer& layer, const std::vector<NcnnBlob>& xs) {
  const NcnnBlob& x = xs[0];
  if (layer.params.get_int(0, 0) == -233) {  // scale from the second input, per channel
    if (xs.size() != 2) return corrupt("Scale with 0=-233 needs two inputs");
    UPRES_ASSIGN_OR_RETURN(Value s, broadcast_operand(x, xs[1]));
    return NcnnBlob{graph_.mul(x.value, s), x.dims};
  }
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  UPRES_ASSIGN_OR_RETURN(engine::Tensor s, tensor(layer, "scale"));
  int64_t channels = s.numel();
  UPRES_ASSIGN_OR_RETURN(engine::Tensor s4, s.reshaped({1, channels, 1, 1}));
  Value v = graph_.mul(x.value, graph_.constant(s4));
  engine::Tensor bias = optional_tensor(layer, "bias");
  if (bias.is_defined()) {
    UPRES_ASSIGN_OR_RETURN(engine::Tensor b4, bias.reshaped({1, channels, 1, 1}));
    v = graph_.add(v, graph_.constant(b4));
  }
  return NcnnBlob{v, 3};
}

}  // namespace upres::models
