// ConvPrimitive: oneDNN convolution / deconvolution with weights reordered once at create().
#include "engine/cpu/conv_primitive.h"

#include <algorithm>
#include <string>

#include "engine/cpu/winograd_weight_memory.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// oneDNN 2.6's jit_wino_4x3 blocks its output tiles by a divisor of the tile count below its 32
// vector registers (see winograd_register_block()).
constexpr int64_t kWinogradRegisters = 32;
// With blocks of 1 tile (a prime count, e.g. 37x37 tiles at 148 px) it is slower than the direct
// kernel: 0.49-1.13x direct's speed on 1 thread, ~0.5x on 2 (every tile reloads the weight block);
// blocks of 2-4 ran 1.04-1.43x (0.95-1.13x for 192->64), 7+ 1.2-2.7x (bench/winograd_size_sweep,
// 64->64, 64->32 and 192->64, 16-320 px, 1 thread).
constexpr int64_t kMinWinogradRegisterBlock = 2;

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a, int64_t pad_b,
                         int64_t dilation) {
  if (stride <= 0 || dilation <= 0 || kernel <= 0) return 0;
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = in + pad_a + pad_b;
  return padded < span ? 0 : (padded - span) / stride + 1;
}

int64_t deconv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a, int64_t pad_b,
                           int64_t dilation, int64_t output_padding) {
  if (stride <= 0 || dilation <= 0 || kernel <= 0 || in <= 0) return 0;
  return (in - 1) * stride - pad_a - pad_b + dilation * (kernel - 1) + 1 + output_padding;
}

Status check_spec(const ConvSpec& s) {
  const std::string what = s.transposed ? "conv_transpose2d: " : "conv2d: ";
  if (s.batch <= 0 || s.in_channels <= 0 || s.out_channels <= 0 || s.in_height <= 0 || s.in_width <= 0)
    return invalid_argument(what + "non-positive input or channel size");
  if (s.groups <= 0 || s.in_channels % s.groups != 0 || s.out_channels % s.groups != 0)
    return invalid_argument(what + "channels " + std::to_string(s.in_channels) + "->" +
                            std::to_string(s.out_channels) + " not divisible by groups " +
                            std::to_string(s.groups));
  if (s.pad_top < 0 || s.pad_left < 0 || s.pad_bottom < 0 || s.pad_right < 0)
    return invalid_argument(what + "negative padding");
  if (s.output_padding_h < 0 || s.output_padding_w < 0 ||
      (s.transposed && (s.output_padding_h >= s.stride_h && s.output_padding_h >= s.dilation_h)))
    return invalid_argument(what + "output padding must be smaller than stride or dilation");
  if (s.out_height() <= 0 || s.out_width() <= 0)
    return invalid_argument(what + "kernel larger than the padded input");
  if (s.compute_type != memory::data_type::f32 && s.compute_type != memory::data_type::bf16)
    return unsupported(what + "compute type must be f32 or bf16");
  return Status::ok();
}

dnnl::primitive_attr make_attr(const ConvSpec& spec) {
  dnnl::post_ops ops;
  for (const ConvPostOp& op : spec.post_ops) {
    if (op.kind == ConvPostOp::Kind::kSum) {
      ops.append_sum(op.scale);
    } else if (op.kind == ConvPostOp::Kind::kBinaryAdd) {
      ops.append_binary(dnnl::algorithm::binary_add, op.addend);
    } else {
      ops.append_eltwise(1.0f, op.algorithm, op.alpha, op.beta);
    }
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  // The caller provides the scratchpad (the cpu plan: in its arena, counted and reused), rather
  // than oneDNN keeping its own: a Winograd convolution's can be 3x its input.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// oneDNN dims of the weights and the plain tag matching PyTorch's weight order.
std::pair<memory::dims, Tag> weight_dims(const ConvSpec& s) {
  const int64_t g = s.groups, oc = s.out_channels / g, ic = s.in_channels / g;
  if (g == 1) return {{s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}, s.transposed ? Tag::iohw : Tag::oihw};
  return {{g, oc, ic, s.kernel_h, s.kernel_w}, s.transposed ? Tag::giohw : Tag::goihw};
}

// The Winograd primitive for these layouts and post-ops, or an empty one where oneDNN has no
// fast kernel for them (then the caller takes the direct algorithm).
dnnl::convolution_forward::primitive_desc winograd_desc(const dnnl::engine& engine, const dnnl::primitive_attr& attr,
                                                        const memory::desc& src, const memory::desc& weights,
                                                        const memory::desc& bias, const memory::desc& dst,
                                                        const memory::dims& pad_l, const memory::dims& pad_r) {
  try {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_winograd,
                                      src, weights, bias, dst, {1, 1}, {0, 0}, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(d, attr, engine, /*allow_empty=*/true);
    if (!pd || std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return {};
    return pd;
  } catch (const dnnl::error&) {
    return {};
  }
}

}  // namespace

int64_t ConvSpec::out_height() const {
  return transposed ? deconv_output_size(in_height, kernel_h, stride_h, pad_top, pad_bottom, dilation_h, output_padding_h)
                    : conv_output_size(in_height, kernel_h, stride_h, pad_top, pad_bottom, dilation_h);
}

int64_t ConvSpec::out_width() const {
  return transposed ? deconv_output_size(in_width, kernel_w, stride_w, pad_left, pad_right, dilation_w, output_padding_w)
                    : conv_output_size(in_width, kernel_w, stride_w, pad_left, pad_right, dilation_w);
}

// Winograd F(4x4, 3x3) or F(2x2, 3x3) (oneDNN 2.6's jit_wino_4x3 / jit_fp32_wino_2x3, avx512 only):
// 1.4-2.3x the direct kernel's speed on 3x3 stride-1 convolutions of 32-256 channels on maps of
// 16-256 px (2 threads), slower on 8x8 maps; max difference to direct ~1e-5 on outputs of magnitude
// ~3. fp32 only; it takes dense nChw16c layouts and the relu and sum post-ops only (lower_conv.cpp
// runs other activations after it, in place).
// Maps whose tile count has no divisor from 2 to 31 (a prime number of tile rows and columns,
// e.g. 148 px = 37x37 tiles) stay direct: see kMinWinogradRegisterBlock; so do wide convs on small
// maps (winograd_weights_pay).
bool ConvSpec::may_run_winograd() const {
  return !transposed && compute_type == memory::data_type::f32 && kernel_h == 3 && kernel_w == 3 && stride_h == 1 &&
         stride_w == 1 && dilation_h == 1 && dilation_w == 1 && groups == 1 && in_channels >= 16 &&
         out_channels >= 16 && out_height() >= 16 && out_width() >= 16 &&
         winograd_weights_pay(in_channels, out_channels, out_height(), out_width()) &&
         winograd_register_block(winograd_tile_count(*this)) >= kMinWinogradRegisterBlock;
}

int64_t winograd_tile_count(const ConvSpec& spec) {
  return std::max<int64_t>(0, spec.batch) * ((std::max<int64_t>(0, spec.out_height()) + 3) / 4) *
         ((std::max<int64_t>(0, spec.out_width()) + 3) / 4);
}

int64_t winograd_register_block(int64_t tiles) {
  for (int64_t block = std::min<int64_t>(tiles, kWinogradRegisters - 1); block > 1; --block) {
    if (tiles % block == 0) return block;
  }
  return 1;
}

double ConvSpec::flop() const {
  const double pixels = static_cast<double>(batch) * (transposed ? in_height * in_width : out_height() * out_width());
  const double per_pixel = static_cast<double>(transposed ? in_channels : out_channels) *
                           (transposed ? out_channels : in_channels) / groups * kernel_h * kernel_w;
  return 2.0 * pixels * per_pixel;
}

Result<ConvPrimitive> ConvPrimitive::create(const dnnl::engine& engine, const ConvSpec& spec,
                                            std::span<const float> weights, std::span<const float> bias,
                                            const ConvLayout& layout) {
  UPRES_RETURN_IF_ERROR(check_spec(spec));
  const std::string what = spec.transposed ? "conv_transpose2d" : "conv2d";
  const auto [w_dims, w_tag] = weight_dims(spec);
  size_t w_count = 1;
  for (int64_t d : w_dims) w_count *= static_cast<size_t>(d);
  if (weights.size() != w_count)
    return invalid_argument(what + ": weight has " + std::to_string(weights.size()) +
                            " values, geometry needs " + std::to_string(w_count));
  if (spec.has_bias && bias.size() != static_cast<size_t>(spec.out_channels))
    return invalid_argument(what + ": bias has " + std::to_string(bias.size()) + " values, expected " +
                            std::to_string(spec.out_channels));

  const auto dt = spec.compute_type;
  const memory::desc src_any({spec.batch, spec.in_channels, spec.in_height, spec.in_width}, dt, Tag::any);
  const memory::desc dst_any({spec.batch, spec.out_channels, spec.out_height(), spec.out_width()}, dt, Tag::any);
  const memory::desc w_any(w_dims, dt, Tag::any);
  const memory::desc b_md = spec.has_bias ? memory::desc({spec.out_channels}, memory::data_type::f32, Tag::x)
                                          : memory::desc();
  const memory::dims strides{spec.stride_h, spec.stride_w};
  const memory::dims dilates{spec.dilation_h - 1, spec.dilation_w - 1};
  const memory::dims pad_l{spec.pad_top, spec.pad_left};
  // oneDNN folds ConvTranspose2d's output_padding into the right/bottom padding.
  const memory::dims pad_r{spec.pad_bottom - spec.output_padding_h, spec.pad_right - spec.output_padding_w};
  const memory::desc& src_md = layout.src ? *layout.src : src_any;
  const memory::desc& dst_md = layout.dst ? *layout.dst : dst_any;
  const dnnl::primitive_attr attr = make_attr(spec);

  ConvPrimitive conv;
  conv.spec_ = spec;
  conv.engine_ = engine;
  try {
    if (spec.transposed) {
      dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                          src_md, w_any, b_md, dst_md, strides, dilates, pad_l, pad_r);
      dnnl::deconvolution_forward::primitive_desc pd(d, attr, engine);
      conv.primitive_desc_ = pd;
      conv.primitive_ = dnnl::deconvolution_forward(pd);
    } else {
      dnnl::convolution_forward::primitive_desc pd;
      if (spec.allow_winograd && spec.may_run_winograd())
        pd = winograd_desc(engine, attr, src_md, w_any, b_md, dst_md, pad_l, pad_r);
      if (!pd) {
        dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                          src_md, w_any, b_md, dst_md, strides, dilates, pad_l, pad_r);
        pd = dnnl::convolution_forward::primitive_desc(d, attr, engine);
      }
      conv.primitive_desc_ = pd;
      conv.primitive_ = dnnl::convolution_forward(pd);
    }
    dnnl::stream stream(engine);
    memory plain_w({w_dims, memory::data_type::f32, w_tag}, engine, const_cast<float*>(weights.data()));
    conv.weights_ = memory(conv.primitive_desc_.weights_desc(), engine);
    dnnl::reorder(plain_w, conv.weights_).execute(stream, plain_w, conv.weights_);
    if (spec.has_bias) {
      conv.bias_ = memory(b_md, engine);
      std::copy(bias.begin(), bias.end(), static_cast<float*>(conv.bias_.get_data_handle()));
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    return unsupported(what + " " + std::to_string(spec.in_channels) + "->" + std::to_string(spec.out_channels) +
                       " k" + std::to_string(spec.kernel_h) + "x" + std::to_string(spec.kernel_w) +
                       ": oneDNN: " + e.what());
  }
  return conv;
}

memory::desc ConvPrimitive::src_desc() const { return primitive_desc_.src_desc(); }
memory::desc ConvPrimitive::dst_desc() const { return primitive_desc_.dst_desc(); }
const char* ConvPrimitive::implementation() const { return primitive_desc_.impl_info_str(); }
bool ConvPrimitive::is_winograd() const { return std::string(implementation()).find("wino") != std::string::npos; }

memory::desc ConvPrimitive::scratchpad_desc() const { return primitive_desc_.scratchpad_desc(); }

std::unordered_map<int, memory> ConvPrimitive::arguments(const memory& src, const memory& dst, const memory& addend,
                                                         const memory& scratchpad) const {
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_DST, dst}};
  if (spec_.has_bias) args.emplace(DNNL_ARG_BIAS, bias_);
  if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
  for (size_t k = 0; k < spec_.post_ops.size(); ++k) {
    if (spec_.post_ops[k].kind != ConvPostOp::Kind::kBinaryAdd) continue;
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(static_cast<int>(k)) | DNNL_ARG_SRC_1, addend);
  }
  return args;
}

void ConvPrimitive::execute(dnnl::stream& stream, const memory& src, const memory& dst) const {
  const memory::desc scratch_desc = scratchpad_desc();
  const memory scratch = scratch_desc.get_size() > 0 ? memory(scratch_desc, engine_) : memory();
  primitive_.execute(stream, arguments(src, dst, memory(), scratch));
}

}  // namespace upres::engine::cpu
