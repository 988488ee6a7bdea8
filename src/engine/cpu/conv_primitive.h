// ConvPrimitive: one oneDNN convolution or transposed convolution (Winograd where allowed and
// available) with its weights reordered once into the layout oneDNN picked, fused post-ops
// (eltwise chain, residual sum) and bias.
// Immutable after create(); execute() may run concurrently only on distinct dst buffers and streams.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace upres::engine::cpu {

// One post-op applied to the convolution's output, in order. kBinaryAdd adds a tensor of the
// output's shape read from its own buffer (no copy into dst first, unlike kSum).
struct ConvPostOp {
  enum class Kind { kEltwise, kSum, kBinaryAdd };
  Kind kind = Kind::kEltwise;
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu;  // kEltwise only
  float alpha = 0.0f;  // eltwise alpha (leaky relu slope, linear scale, ...)
  float beta = 0.0f;   // eltwise beta (linear shift, ...)
  float scale = 1.0f;  // kSum: dst = conv + scale * previous dst
  dnnl::memory::desc addend;  // kBinaryAdd: the added tensor's layout
};

// Geometry of a 2-D convolution on NCHW data; PyTorch's conventions (dilation 1 = dense).
struct ConvSpec {
  int64_t batch = 1, in_channels = 0, out_channels = 0, in_height = 0, in_width = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1, groups = 1;
  bool transposed = false;           // ConvTranspose2d
  int64_t output_padding_h = 0, output_padding_w = 0;  // transposed only
  bool has_bias = false;
  std::vector<ConvPostOp> post_ops;
  dnnl::memory::data_type compute_type = dnnl::memory::data_type::f32;  // f32 or bf16
  // Whether a 3x3 stride-1 fp32 convolution may run as Winograd F(4x4, 3x3) where oneDNN has a
  // fast kernel for it (faster, slightly different rounding; see conv_primitive.cpp).
  bool allow_winograd = true;

  // Output spatial size; 0 or negative when the geometry is impossible.
  int64_t out_height() const;
  int64_t out_width() const;
  // Multiply-adds x 2 of one execution.
  double flop() const;
  // Whether the geometry is one the Winograd kernels serve well (the post-ops may still rule them
  // out: they take relu and sum only): 3x3 stride 1, 16+ channels, 16+ px, and a tile count that
  // oneDNN's kernel can register-block (winograd_register_block()).
  bool may_run_winograd() const;
};

// Output tiles of 4x4 px that Winograd F(4x4, 3x3) computes for `spec`: batch x ceil(oh / 4) x
// ceil(ow / 4).
int64_t winograd_tile_count(const ConvSpec& spec);
// How many tiles oneDNN 2.6's jit_wino_4x3 kernel computes per inner-loop pass: the largest divisor
// of `tiles` below 32 (its register count). A prime tile count gives 1, and then every pass reloads
// its weight block for a single tile: R-ESRGAN 4x+ at 148 px (37x37 tiles) ran 1.9x slower than
// direct.
int64_t winograd_register_block(int64_t tiles);

// Memory layouts the caller fixes; an absent one is left to oneDNN (format_tag::any).
struct ConvLayout {
  std::optional<dnnl::memory::desc> src;
  std::optional<dnnl::memory::desc> dst;
};

class ConvPrimitive {
 public:
  // weights: PyTorch order, fp32: Conv2d [out, in/groups, kh, kw]; ConvTranspose2d
  // [in, out/groups, kh, kw]. bias: out_channels floats when spec.has_bias, else ignored.
  // Requires: the weight and bias spans hold exactly that many floats (checked). Both are read
  // during create() only (the weights reordered into the primitive's own memory, no other copy).
  static Result<ConvPrimitive> create(const dnnl::engine& engine, const ConvSpec& spec,
                                      std::span<const float> weights, std::span<const float> bias,
                                      const ConvLayout& layout = {});

  const ConvSpec& spec() const { return spec_; }
  dnnl::memory::desc src_desc() const;
  dnnl::memory::desc dst_desc() const;
  // oneDNN's implementation name, e.g. "brg:avx512_core" ("ref..." means a slow fallback).
  const char* implementation() const;
  bool is_winograd() const;

  // Scratch memory each execution needs (size 0: none); the caller provides it.
  dnnl::memory::desc scratchpad_desc() const;

  // The primitive and its arguments (holding the reordered weights) for replay elsewhere.
  // `addend` is the kBinaryAdd post-op's tensor. Requires: given iff spec().post_ops has one;
  // `scratchpad` of scratchpad_desc() when its size is not 0.
  const dnnl::primitive& primitive() const { return primitive_; }
  std::unordered_map<int, dnnl::memory> arguments(const dnnl::memory& src, const dnnl::memory& dst,
                                                  const dnnl::memory& addend = {},
                                                  const dnnl::memory& scratchpad = {}) const;

  // Runs the convolution (allocating its scratchpad). With a kSum post-op, dst must already hold
  // the residual.
  // Requires: src and dst match src_desc() and dst_desc(); no kBinaryAdd post-op.
  void execute(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& dst) const;

 private:
  ConvPrimitive() = default;

  ConvSpec spec_;
  dnnl::primitive_desc_base primitive_desc_;
  dnnl::primitive primitive_;
  dnnl::engine engine_;
  dnnl::memory weights_;
  dnnl::memory bias_;
};

}  // namespace upres::engine::cpu
