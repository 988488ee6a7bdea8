// Reference convolutions: direct loops, double accumulation, then the fused post-ops.
#include <cmath>

#include "engine/reference/kernel.h"
#include "engine/shape_rules.h"

namespace upres::engine::reference {
namespace {

// y = residual_scale * act(c) + r, or act(residual_scale * c + r): PostOps in op.h.
float apply_post_ops(const PostOps& post, float c, float residual, float prelu_slope) {
  float alpha = post.activation == Activation::kPrelu ? prelu_slope : post.activation_alpha;
  if (!post.has_residual) return post.residual_scale * apply_activation(post.activation, c, alpha);
  if (post.activation_after_residual) {
    return apply_activation(post.activation, post.residual_scale * c + residual, alpha);
  }
  return post.residual_scale * apply_activation(post.activation, c, alpha) + residual;
}

// What both convolutions read the same way: input 0, the weight (constant 0) and the bias
// (constant 1, empty when absent), with their shapes. Views into the KernelArgs.
struct ConvOperands {
  const Shape& xs;
  const Shape& ws;
  const Shape& ys;
  const float* x;
  const float* w;
  const std::vector<float>& bias;
};

ConvOperands conv_operands(const KernelArgs& args) {
  return {args.input_shapes[0], args.node.constants[0].shape(), args.output_shape,
          args.inputs[0],       args.constants[0].data(),       args.constants[1]};
}

}  // namespace

Status conv2d(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const Conv2dAttrs* a, attrs_of<Conv2dAttrs>(args.node));
  const auto [xs, ws, ys, x, w, bias] = conv_operands(args);
  const float* residual = a->post.has_residual ? args.inputs[1] : nullptr;
  const std::vector<float>* slope = args.constants.size() > 2 ? &args.constants[2] : nullptr;
  const int64_t cin_g = ws[1], cout_g = ys[1] / a->groups, kh = ws[2], kw = ws[3];
  for (int64_t n = 0; n < ys[0]; ++n) {
    for (int64_t oc = 0; oc < ys[1]; ++oc) {
      const int64_t group = oc / cout_g;
      float prelu_slope = slope != nullptr && !slope->empty() ? (*slope)[slope->size() == 1 ? 0 : oc] : 0.0f;
      for (int64_t oh = 0; oh < ys[2]; ++oh) {
        for (int64_t ow = 0; ow < ys[3]; ++ow) {
          double acc = bias.empty() ? 0.0 : bias[static_cast<size_t>(oc)];
          for (int64_t ic = 0; ic < cin_g; ++ic) {
            const int64_t c = group * cin_g + ic;
            for (int64_t i = 0; i < kh; ++i) {
              const int64_t ih = oh * a->stride.h - a->padding.h + i * a->dilation.h;
              if (ih < 0 || ih >= xs[2]) continue;
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iw = ow * a->stride.w - a->padding.w + j * a->dilation.w;
                if (iw < 0 || iw >= xs[3]) continue;
                acc += static_cast<double>(x[((n * xs[1] + c) * xs[2] + ih) * xs[3] + iw]) *
                       w[((oc * cin_g + ic) * kh + i) * kw + j];
              }
            }
          }
          const int64_t index = ((n * ys[1] + oc) * ys[2] + oh) * ys[3] + ow;
          float r = residual != nullptr ? residual[index] : 0.0f;
          args.output[index] = apply_post_ops(a->post, static_cast<float>(acc), r, prelu_slope);
        }
      }
    }
  }
  return Status::ok();
}

Status conv_transpose2d(const KernelArgs& args) {
  UPRES_ASSIGN_OR_RETURN(const ConvTranspose2dAttrs* a, attrs_of<ConvTranspose2dAttrs>(args.node));
  const auto [xs, ws, ys, x, w, bias] = conv_operands(args);
  const int64_t cin_g = xs[1] / a->groups, cout_g = ws[1], kh = ws[2], kw = ws[3];
  std::vector<double> acc(static_cast<size_t>(shape_numel(ys)), 0.0);
  for (int64_t n = 0; n < xs[0]; ++n) {
    for (int64_t ic = 0; ic < xs[1]; ++ic) {
      const int64_t group = ic / cin_g;
      for (int64_t ih = 0; ih < xs[2]; ++ih) {
        for (int64_t iw = 0; iw < xs[3]; ++iw) {
          const double v = x[((n * xs[1] + ic) * xs[2] + ih) * xs[3] + iw];
          for (int64_t j = 0; j < cout_g; ++j) {
            const int64_t oc = group * cout_g + j;
            for (int64_t p = 0; p < kh; ++p) {
              const int64_t oh = ih * a->stride.h - a->padding.h + p * a->dilation.h;
              if (oh < 0 || oh >= ys[2]) continue;
              for (int64_t q = 0; q < kw; ++q) {
                const int64_t ow = iw * a->stride.w - a->padding.w + q * a->dilation.w;
                if (ow < 0 || ow >= ys[3]) continue;
                acc[static_cast<size_t>(((n * ys[1] + oc) * ys[2] + oh) * ys[3] + ow)] +=
                    v * w[((ic * cout_g + j) * kh + p) * kw + q];
              }
            }
          }
        }
      }
    }
  }
  const int64_t plane = ys[2] * ys[3];
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t oc = (static_cast<int64_t>(i) / plane) % ys[1];
    args.output[i] = static_cast<float>(acc[i] + (bias.empty() ? 0.0 : bias[static_cast<size_t>(oc)]));
  }
  return Status::ok();
}

}  // namespace upres::engine::reference
