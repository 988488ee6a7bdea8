// GfpganRestorer: configuration from key shapes, the two graphs, and restore().
// Original: https://github.com/TencentARC/GFPGAN/blob/master/gfpgan/archs/gfpganv1_clean_arch.py
#include "models/gfpgan.h"

#include <algorithm>
#include <utility>

#include "engine/backend_registry.h"

namespace upres::models {
namespace {

constexpr int kMaxLogSize = 11;  // 2048x2048 faces; released models are 512
const char kDecoder[] = "stylegan_decoder";

std::string decoder_key(const std::string& rest) { return std::string(kDecoder) + "." + rest; }

Status read_channels(const nn::StateDict& weights, GfpganRestorer::Config& c) {
  const int n = c.log_size;
  c.unet_channels.assign(static_cast<size_t>(n + 1), 0);
  c.decoder_channels.assign(static_cast<size_t>(n + 1), 0);
  UPRES_ASSIGN_OR_RETURN(c.unet_channels[n], weights.dim("conv_body_first.weight", 0));
  for (int k = 0; k < n - 2; ++k) {
    UPRES_ASSIGN_OR_RETURN(c.unet_channels[n - 1 - k],
                           weights.dim("conv_body_down." + std::to_string(k) + ".conv2.weight", 0));
  }
  UPRES_ASSIGN_OR_RETURN(c.decoder_channels[2],
                         weights.dim(decoder_key("constant_input.weight"), 1));
  for (int i = 3; i <= n; ++i) {
    const std::string key =
        decoder_key("style_convs." + std::to_string(2 * (i - 3)) + ".modulated_conv.weight");
    UPRES_ASSIGN_OR_RETURN(c.decoder_channels[i], weights.dim(key, 1));
  }
  for (int i = 2; i <= n; ++i) {
    if (c.unet_channels[i] <= 0 || c.decoder_channels[i] <= 0) {
      return corrupt("GFPGAN: no channels at resolution " + std::to_string(1 << i));
    }
  }
  return Status::ok();
}

Status read_variants(const nn::StateDict& weights, GfpganRestorer::Config& c) {
  UPRES_ASSIGN_OR_RETURN(
      c.num_style_feat,
      weights.dim(decoder_key("style_conv1.modulated_conv.modulation.weight"), 1));
  UPRES_ASSIGN_OR_RETURN(const int64_t code, weights.dim("final_linear.weight", 0));
  const int64_t num_latent = 2 * c.log_size - 2;
  if (code == num_latent * c.num_style_feat) {
    c.different_w = true;
  } else if (code == c.num_style_feat) {
    c.different_w = false;
  } else {
    return corrupt("GFPGAN: final_linear.weight has " + std::to_string(code) +
                   " outputs, expected " + std::to_string(num_latent) + " or 1 latents of " +
                   std::to_string(c.num_style_feat));
  }
  UPRES_ASSIGN_OR_RETURN(const int64_t sft, weights.dim("condition_scale.0.2.weight", 0));
  const int64_t c8 = c.decoder_channels[3];
  if (sft == c8 - c8 / 2) {
    c.sft_half = true;
  } else if (sft == c8) {
    c.sft_half = false;
  } else {
    return corrupt("GFPGAN: condition_scale.0.2.weight has " + std::to_string(sft) +
                   " outputs for " + std::to_string(c8) +
                   " decoder channels (expected half or all)");
  }
  return Status::ok();
}

}  // namespace

bool looks_like_gfpgan(const nn::StateDict& weights) {
  return weights.has("conv_body_first.weight") && weights.has("final_linear.weight") &&
         weights.has_prefix("condition_scale.") && weights.has_prefix(decoder_key("style_convs."));
}

Result<GfpganRestorer::Config> GfpganRestorer::Config::from_weights(const nn::StateDict& weights) {
  if (!looks_like_gfpgan(weights)) {
    if (weights.has("conv_body_first.0.weight")) {
      return unsupported(
          "the original GFPGANv1 architecture (StyleGAN2 with custom ops) is not supported; "
          "GFPGANv1.3/v1.4 (GFPGANv1Clean) are");
    }
    return unsupported("not a GFPGAN (GFPGANv1Clean) model: keys " + weights.key_sample(6));
  }
  Config c;
  c.log_size = weights.seq_len("conv_body_down") + 2;
  if (c.log_size < 3 || c.log_size > kMaxLogSize) {
    return unsupported("GFPGAN with " + std::to_string(c.log_size - 2) + " conv_body_down blocks");
  }
  const int style_convs = weights.seq_len(decoder_key("style_convs"));
  if (style_convs != 2 * (c.log_size - 2)) {
    return corrupt("GFPGAN: " + std::to_string(style_convs) + " stylegan_decoder.style_convs for " +
                   std::to_string(c.log_size - 2) +
                   " conv_body_down blocks (expected twice as many)");
  }
  UPRES_RETURN_IF_ERROR(read_channels(weights, c));
  UPRES_RETURN_IF_ERROR(read_variants(weights, c));
  return c;
}

Result<std::unique_ptr<GfpganRestorer>> GfpganRestorer::from_weights(const nn::StateDict& weights) {
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(weights));
  std::unique_ptr<GfpganRestorer> net(new GfpganRestorer(config));
  const int64_t num_latent = 2 * config.log_size - 2;
  UPRES_ASSIGN_OR_RETURN(
      net->unet_,
      GfpganUnet::bind(weights, {.log_size = config.log_size,
                                 .channels = config.unet_channels,
                                 .style_code_size =
                                     config.num_style_feat * (config.different_w ? num_latent : 1),
                                 .sft_half = config.sft_half}));
  UPRES_ASSIGN_OR_RETURN(net->decoder_,
                         StyleGAN2CleanDecoder::bind(weights, kDecoder,
                                                     {.log_size = config.log_size,
                                                      .num_style_feat = config.num_style_feat,
                                                      .channels = config.decoder_channels,
                                                      .sft_half = config.sft_half}));
  return net;
}

// face [1, 3, S, S] -> image [1, 3, S, S]: the U-Net's style code and SFT conditions feed the
// decoder inside one graph, so the conditions (32 M values per 512 px face) stay in the plan's
// layout and dtype instead of going through host fp32 tensors between two executables. The
// modulation factors' sums stay fp32 in a bf16 plan (FactorSums).
Result<engine::Graph> GfpganRestorer::build_graph(DType compute_dtype) const {
  engine::Graph g;
  const int64_t s = config_.out_size();
  const GfpganUnet::Encoding e = unet_.encode(g, g.input("face", {1, 3, s, s}));
  const std::vector<engine::Value> conditions = unet_.conditions(g, e.feat, e.skips);
  const FactorSums sums = compute_dtype == DType::kF32 ? FactorSums::kConv1x1 : FactorSums::kLinear;
  g.mark_output(decoder_.forward(g, conditions, e.style_code, sums));
  if (!g.status().is_ok()) return g.status().with_context("GFPGAN graph");
  return g;
}

Status GfpganRestorer::prepare(const FaceRestoreOptions& options) {
  if (exec_ && prepared_backend_ == options.backend && prepared_dtype_ == options.compute_dtype) {
    return Status::ok();
  }
  exec_.reset();
  if (!backend_ || backend_->name() != options.backend) {
    backend_.reset();
    UPRES_ASSIGN_OR_RETURN(backend_, engine::create_backend(options.backend));
  }
  engine::PrepareOptions prepare;
  prepare.compute_dtype = options.compute_dtype;
  UPRES_ASSIGN_OR_RETURN(engine::Graph graph, build_graph(options.compute_dtype));
  UPRES_ASSIGN_OR_RETURN(exec_, backend_->prepare(graph, prepare));
  prepared_backend_ = options.backend;
  prepared_dtype_ = options.compute_dtype;
  return Status::ok();
}

Result<engine::Tensor> GfpganRestorer::forward(const engine::Tensor& x,
                                               const FaceRestoreOptions& options) {
  const int64_t s = config_.out_size();
  if (x.shape() != engine::Shape{1, 3, s, s} || x.layout() != engine::Layout::kNchw) {
    return invalid_argument("GFPGAN: face is " + engine::shape_to_string(x.shape()) +
                            ", expected " + engine::shape_to_string({1, 3, s, s}));
  }
  UPRES_RETURN_IF_ERROR(prepare(options));
  std::vector<engine::Tensor> image(1);
  UPRES_RETURN_IF_ERROR(exec_->run({&x, 1}, image));
  return image[0];
}

Result<engine::Tensor> GfpganRestorer::restore(const engine::Tensor& face,
                                               const FaceRestoreOptions& options) {
  if (face.layout() != engine::Layout::kNchw)
    return invalid_argument("GFPGAN: face tensor is not NCHW");
  std::vector<float> values = face.to_f32();
  for (float& v : values) v = v * 2.0f - 1.0f;  // [0, 1] -> [-1, 1]
  UPRES_ASSIGN_OR_RETURN(engine::Tensor x, engine::Tensor::from_f32(values, face.shape()));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor y, forward(x, options));
  values = y.to_f32();
  for (float& v : values)
    v = (std::clamp(v, -1.0f, 1.0f) + 1.0f) * 0.5f;  // as tensor2img: clamp, then [0, 1]
  return engine::Tensor::from_f32(values, y.shape());
}

Result<std::unique_ptr<FaceRestorer>> load_gfpgan(weights::WeightFile file, std::string source) {
  const nn::StateDict state(file.weights);
  Result<std::unique_ptr<GfpganRestorer>> net = GfpganRestorer::from_weights(state);
  if (!net.is_ok()) return net.status().with_context(source);
  return std::unique_ptr<FaceRestorer>(std::move(net).value());
}

}  // namespace upres::models
