// Shape rules of the spatial ops on [N, C, H, W]: convolutions, resize, pixel shuffle, pad, pools.
#include <cmath>
#include <string>

#include "engine/shape_rules.h"

namespace upres::engine {
namespace {

Status check_rank4(const std::vector<Shape>& inputs, size_t count) {
  if (inputs.size() != count) {
    return invalid_argument("expects " + std::to_string(count) + " inputs, got " + std::to_string(inputs.size()));
  }
  if (inputs[0].size() != 4) return invalid_argument("input " + shape_to_string(inputs[0]) + " is not [N, C, H, W]");
  return Status::ok();
}

std::string int2_text(Int2 v) {
  std::string text = std::to_string(v.h);  // appended piecewise: GCC 12 -Wrestrict false positive
  text.append(", ").append(std::to_string(v.w));
  return "(" + text + ")";
}

// Weight [A, B, kh, kw] and optional bias [bias_size]; window arguments positive.
Status check_conv_args(const Node& node, Int2 stride, Int2 padding, Int2 dilation, int groups) {
  if (node.constants.size() < 2 || !node.constants[0].is_defined() || node.constants[0].rank() != 4) {
    return invalid_argument("weight must be a 4-d tensor");
  }
  if (stride.h < 1 || stride.w < 1) return invalid_argument("stride " + int2_text(stride) + " must be >= 1");
  if (dilation.h < 1 || dilation.w < 1) return invalid_argument("dilation " + int2_text(dilation) + " must be >= 1");
  if (padding.h < 0 || padding.w < 0) return invalid_argument("padding " + int2_text(padding) + " must be >= 0");
  if (groups < 1) return invalid_argument("groups must be >= 1");
  return Status::ok();
}

Status check_bias(const Node& node, int64_t channels) {
  const Tensor& bias = node.constants[1];
  if (bias.is_defined() && bias.shape() != Shape{channels}) {
    return invalid_argument("bias " + shape_to_string(bias.shape()) + " must be [" + std::to_string(channels) + "]");
  }
  return Status::ok();
}

Status check_post_ops(const Node& node, const PostOps& post, const std::vector<Shape>& inputs,
                      const Shape& out) {
  size_t expected = post.has_residual ? 2 : 1;
  if (inputs.size() != expected) return invalid_argument("post-ops need " + std::to_string(expected) + " inputs");
  if (post.has_residual && inputs[1] != out) {
    return invalid_argument("residual " + shape_to_string(inputs[1]) + " must equal the output " + shape_to_string(out));
  }
  if (post.activation == Activation::kPrelu) {
    if (node.constants.size() < 3) return invalid_argument("prelu post-op needs constants[2]");
    return check_channel_vector(node.constants, 2, out, "prelu post-op slope", true);
  }
  return Status::ok();
}

}  // namespace

int64_t conv_output_size(int64_t in, int kernel, int stride, int padding, int dilation) {
  int64_t span = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  int64_t padded = in + 2 * static_cast<int64_t>(padding);
  if (padded < span) return 0;
  return (padded - span) / stride + 1;
}

int64_t pool_output_size(int64_t in, int kernel, int stride, int padding, bool ceil_mode) {
  int64_t numerator = in + 2 * static_cast<int64_t>(padding) - kernel;
  if (numerator < 0) return 0;
  int64_t out = (ceil_mode ? (numerator + stride - 1) / stride : numerator / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + padding) --out;  // last window must start inside
  return out;
}

Int2 pool_stride(const Pool2dAttrs& attrs) {
  return Int2(attrs.stride.h == 0 ? attrs.kernel.h : attrs.stride.h,
              attrs.stride.w == 0 ? attrs.kernel.w : attrs.stride.w);
}

Result<Shape> infer_conv2d(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const Conv2dAttrs* a, attrs_of<Conv2dAttrs>(node));
  if (inputs.empty() || inputs[0].size() != 4) return invalid_argument("input is not [N, C, H, W]");
  UPRES_RETURN_IF_ERROR(check_conv_args(node, a->stride, a->padding, a->dilation, a->groups));
  const Shape& x = inputs[0];
  const Shape& w = node.constants[0].shape();
  if (x[1] % a->groups != 0 || w[0] % a->groups != 0 || w[1] * a->groups != x[1]) {
    return invalid_argument("weight " + shape_to_string(w) + " does not fit input " + shape_to_string(x) +
                            " with groups " + std::to_string(a->groups));
  }
  UPRES_RETURN_IF_ERROR(check_bias(node, w[0]));
  int64_t h = conv_output_size(x[2], static_cast<int>(w[2]), a->stride.h, a->padding.h, a->dilation.h);
  int64_t wd = conv_output_size(x[3], static_cast<int>(w[3]), a->stride.w, a->padding.w, a->dilation.w);
  if (h < 1 || wd < 1) return invalid_argument("kernel " + shape_to_string(w) + " is larger than padded input " + shape_to_string(x));
  Shape out{x[0], w[0], h, wd};
  UPRES_RETURN_IF_ERROR(check_post_ops(node, a->post, inputs, out));
  return out;
}

Result<Shape> infer_conv_transpose2d(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const ConvTranspose2dAttrs* a, attrs_of<ConvTranspose2dAttrs>(node));
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  UPRES_RETURN_IF_ERROR(check_conv_args(node, a->stride, a->padding, a->dilation, a->groups));
  const Shape& x = inputs[0];
  const Shape& w = node.constants[0].shape();
  if (w[0] != x[1] || x[1] % a->groups != 0) {
    return invalid_argument("weight " + shape_to_string(w) + " does not fit input " + shape_to_string(x));
  }
  if (a->output_padding.h < 0 || a->output_padding.w < 0 ||
      a->output_padding.h >= std::max(a->stride.h, a->dilation.h) ||
      a->output_padding.w >= std::max(a->stride.w, a->dilation.w)) {
    return invalid_argument("output_padding " + int2_text(a->output_padding) + " must be < stride or dilation");
  }
  int64_t cout = w[1] * a->groups;
  UPRES_RETURN_IF_ERROR(check_bias(node, cout));
  int64_t h = (x[2] - 1) * a->stride.h - 2 * a->padding.h + a->dilation.h * (w[2] - 1) + a->output_padding.h + 1;
  int64_t wd = (x[3] - 1) * a->stride.w - 2 * a->padding.w + a->dilation.w * (w[3] - 1) + a->output_padding.w + 1;
  if (h < 1 || wd < 1) return invalid_argument("padding leaves an empty output");
  return Shape{x[0], cout, h, wd};
}

Result<Shape> infer_resize(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const ResizeAttrs* a, attrs_of<ResizeAttrs>(node));
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  const Shape& x = inputs[0];
  bool by_scale = a->scale_h > 0.0f && a->scale_w > 0.0f;
  bool by_size = a->out_h > 0 && a->out_w > 0;
  if (by_scale == by_size) return invalid_argument("give either scale_h/scale_w or out_h/out_w");
  int64_t h = by_size ? a->out_h : static_cast<int64_t>(std::floor(static_cast<double>(x[2]) * a->scale_h));
  int64_t w = by_size ? a->out_w : static_cast<int64_t>(std::floor(static_cast<double>(x[3]) * a->scale_w));
  if (h < 1 || w < 1 || h > (int64_t{1} << 24) || w > (int64_t{1} << 24)) {
    return invalid_argument("output size " + std::to_string(h) + "x" + std::to_string(w) + " out of range");
  }
  return Shape{x[0], x[1], h, w};
}

Result<Shape> infer_pixel_shuffle(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const PixelShuffleAttrs* a, attrs_of<PixelShuffleAttrs>(node));
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  const Shape& x = inputs[0];
  int64_t r = a->factor;
  if (r < 1) return invalid_argument("factor must be >= 1");
  if (node.kind == OpKind::kPixelShuffle) {
    if (x[1] % (r * r) != 0) return invalid_argument("channels " + std::to_string(x[1]) + " not divisible by factor^2");
    return Shape{x[0], x[1] / (r * r), x[2] * r, x[3] * r};
  }
  if (x[2] % r != 0 || x[3] % r != 0) return invalid_argument("size " + shape_to_string(x) + " not divisible by factor");
  return Shape{x[0], x[1] * r * r, x[2] / r, x[3] / r};
}

Result<Shape> infer_pad(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const PadAttrs* a, attrs_of<PadAttrs>(node));
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  const Shape& x = inputs[0];
  if (a->left < 0 || a->right < 0 || a->top < 0 || a->bottom < 0) return invalid_argument("negative padding");
  if (a->mode == PadMode::kReflect &&
      (a->left >= x[3] || a->right >= x[3] || a->top >= x[2] || a->bottom >= x[2])) {
    return invalid_argument("reflect padding must be smaller than the input " + shape_to_string(x));
  }
  return Shape{x[0], x[1], x[2] + a->top + a->bottom, x[3] + a->left + a->right};
}

Result<Shape> infer_pool2d(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_ASSIGN_OR_RETURN(const Pool2dAttrs* a, attrs_of<Pool2dAttrs>(node));
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  Int2 stride = pool_stride(*a);
  if (a->kernel.h < 1 || a->kernel.w < 1 || stride.h < 1 || stride.w < 1) {
    return invalid_argument("kernel and stride must be >= 1");
  }
  if (a->padding.h < 0 || a->padding.w < 0 || a->padding.h * 2 > a->kernel.h || a->padding.w * 2 > a->kernel.w) {
    return invalid_argument("padding " + int2_text(a->padding) + " must be in [0, kernel / 2]");
  }
  const Shape& x = inputs[0];
  int64_t h = pool_output_size(x[2], a->kernel.h, stride.h, a->padding.h, a->ceil_mode);
  int64_t w = pool_output_size(x[3], a->kernel.w, stride.w, a->padding.w, a->ceil_mode);
  if (h < 1 || w < 1) return invalid_argument("kernel larger than input " + shape_to_string(x));
  return Shape{x[0], x[1], h, w};
}

Result<Shape> infer_global_avg_pool(const Node& node, const std::vector<Shape>& inputs) {
  UPRES_RETURN_IF_ERROR(check_rank4(inputs, 1));
  return Shape{inputs[0][0], inputs[0][1], 1, 1};
}

}  // namespace upres::engine
