// PLKSR / RealPLKSR: configuration from weights, weight binding, and the forward graph.
// Originals: https://github.com/dslisleedh/PLKSR (archs/plksr_arch.py),
// https://github.com/neosr-project/neosr (neosr/archs/realplksr_arch.py), as spandrel ships them.
#include "models/plksr/plksr.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace upres::models {
namespace {

constexpr int64_t kMaxDim = 1024;
constexpr int kMaxBlocks = 256;
constexpr int kMaxKernel = 63;
constexpr int kSparseConvs = 4;    // SparsePLKConv2d with spandrel's sparse_kernels [5, 5, 5, 5]
constexpr int kSparseKernel = 5;   // and sparse_dilations [1, 2, 3, 4]

std::string feat(int i) { return "feats." + std::to_string(i); }

Result<int64_t> kernel_of(const nn::StateDict& w, const std::string& key, int axis = 2) {
  UPRES_ASSIGN_OR_RETURN(const int64_t k, w.dim(key, axis));
  if (k < 1 || k > kMaxKernel) return corrupt("PLKSR: " + key + " has a kernel of " + std::to_string(k));
  return k;
}

}  // namespace

bool PLKSR::matches(const nn::StateDict& w) {
  return w.has("feats.0.weight") &&
         (w.has("feats.1.lk.conv.weight") || w.has("feats.1.lk.convs.0.weight") || w.has("feats.1.lk.mn_conv.weight")) &&
         w.has("feats.1.refine.weight") &&
         (w.has("feats.1.channe_mixer.0.weight") || w.has("feats.1.channel_mixer.0.weight"));
}

Result<PLKSR::Config> PLKSR::Config::from_weights(const nn::StateDict& w) {
  if (!matches(w)) return unsupported("not a PLKSR: keys " + w.key_sample(6));
  Config c;
  c.variant = w.has("feats.1.channe_mixer.0.weight") ? Variant::kPLKSR : Variant::kRealPLKSR;
  const char* name = c.variant == Variant::kPLKSR ? "PLKSR" : "RealPLKSR";
  UPRES_ASSIGN_OR_RETURN(c.dim, w.dim("feats.0.weight", 0));
  UPRES_ASSIGN_OR_RETURN(const int64_t in_channels, w.dim("feats.0.weight", 1));
  if (in_channels != 3) {
    return unsupported(std::string(name) + " with " + std::to_string(in_channels) + " input channels (upres runs RGB models only)");
  }
  if (c.dim < 1 || c.dim > kMaxDim) return corrupt(std::string(name) + ": dim " + std::to_string(c.dim));
  if (w.has("to_img.init_pos")) return unsupported("RealPLKSR with the DySample upsampler is not supported yet");
  const int total = w.seq_len("feats");
  c.n_blocks = total - (c.variant == Variant::kPLKSR ? 2 : 3);  // RealPLKSR: a Dropout2d before the last conv
  if (c.n_blocks < 1 || c.n_blocks > kMaxBlocks) {
    return corrupt(std::string(name) + ": " + std::to_string(total) + " feats entries");
  }
  UPRES_ASSIGN_OR_RETURN(const int64_t out_channels, w.dim(feat(total - 1) + ".weight", 0));
  const auto root = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(out_channels / 3))));
  if (out_channels % 3 != 0 || root * root * 3 != out_channels || root < 1 || root > 8) {
    return corrupt(std::string(name) + ": " + feat(total - 1) + ".weight has " + std::to_string(out_channels) +
                   " output channels, not 3 * scale^2");
  }
  c.upscale = static_cast<int>(root);
  c.use_ea = w.has("feats.1.attn.f.0.weight");
  const std::string mixer = c.variant == Variant::kPLKSR ? "feats.1.channe_mixer" : "feats.1.channel_mixer";
  UPRES_ASSIGN_OR_RETURN(const int64_t k0, kernel_of(w, mixer + ".0.weight"));
  UPRES_ASSIGN_OR_RETURN(const int64_t k2, kernel_of(w, mixer + ".2.weight"));
  if (k0 == 3 && k2 == 1) {
    c.mixer = Mixer::kCCM;
  } else if (k0 == 3 && k2 == 3) {
    c.mixer = Mixer::kDCCM;
  } else if (k0 == 1 && k2 == 3) {
    c.mixer = Mixer::kICCM;
  } else {
    return corrupt(std::string(name) + ": channel mixer kernels " + std::to_string(k0) + " and " + std::to_string(k2));
  }
  if (c.variant == Variant::kRealPLKSR && c.mixer != Mixer::kDCCM) return corrupt("RealPLKSR: the channel mixer is not a DCCM");
  std::string lk_key;
  if (w.has("feats.1.lk.conv.weight")) {
    c.lk = LargeKernel::kPLK;
    lk_key = "feats.1.lk.conv.weight";
  } else if (c.variant == Variant::kPLKSR && w.has("feats.1.lk.mn_conv.weight")) {
    c.lk = LargeKernel::kRectSparsePLK;
    lk_key = "feats.1.lk.mn_conv.weight";
  } else if (c.variant == Variant::kPLKSR && w.has("feats.1.lk.convs.0.weight")) {
    c.lk = LargeKernel::kSparsePLK;
    lk_key = "feats.1.lk.convs.0.weight";
    if (w.seq_len("feats.1.lk.convs") != kSparseConvs) {
      return unsupported("PLKSR: a SparsePLK layer with " + std::to_string(w.seq_len("feats.1.lk.convs")) +
                         " convolutions (only spandrel's default of 4, dilations 1-4, can be read from a file)");
    }
  } else {
    return corrupt(std::string(name) + ": feats.1.lk has no large-kernel convolution");
  }
  UPRES_ASSIGN_OR_RETURN(const int64_t kernel, kernel_of(w, lk_key));
  c.kernel_size = static_cast<int>(kernel);
  UPRES_ASSIGN_OR_RETURN(c.pdim, w.dim(lk_key, 0));
  if (c.pdim < 1 || c.pdim > c.dim) {
    return corrupt(std::string(name) + ": " + lk_key + " convolves " + std::to_string(c.pdim) + " of " +
                   std::to_string(c.dim) + " channels");
  }
  if (c.variant == Variant::kRealPLKSR) {
    c.norm = w.has("feats.1.layer_norm.bias") ? Norm::kLayerNorm : Norm::kGroupNorm;
    if (c.norm == Norm::kGroupNorm && c.dim % kNormGroups != 0) {
      return corrupt("RealPLKSR: dim " + std::to_string(c.dim) + " does not split into 4 norm groups");
    }
  }
  return c;
}

Result<std::shared_ptr<const PLKSR>> PLKSR::from_weights(const weights::WeightMap& weights) {
  const nn::StateDict state(weights);
  UPRES_ASSIGN_OR_RETURN(Config config, Config::from_weights(state));
  std::shared_ptr<PLKSR> net(new PLKSR(config));
  UPRES_RETURN_IF_ERROR(net->bind(state));
  return std::shared_ptr<const PLKSR>(std::move(net));
}

namespace {

// nn.Conv2d(in, out, (kh, kw), padding=(kh/2, kw/2) * dilation, dilation) with a bias.
Result<std::pair<engine::Tensor, engine::Tensor>> conv_weights(const nn::StateDict& w, const std::string& key,
                                                               int64_t in, int64_t out, int64_t kh, int64_t kw) {
  UPRES_ASSIGN_OR_RETURN(engine::Tensor weight, w.tensor(key + ".weight", {out, in, kh, kw}));
  UPRES_ASSIGN_OR_RETURN(engine::Tensor bias, w.tensor(key + ".bias", {out}));
  return std::make_pair(std::move(weight), std::move(bias));
}

}  // namespace

Result<PLKSR::Block> PLKSR::bind_block(const nn::StateDict& w, const std::string& key) const {
  const Config& c = config_;
  const int64_t dim = c.dim, pdim = c.pdim;
  auto bind = [&](const std::string& k, int64_t in, int64_t out, int kh, int kw, int dilation = 1) -> Result<Conv> {
    UPRES_ASSIGN_OR_RETURN(auto wb, conv_weights(w, k, in, out, kh, kw));
    Conv conv{wb.first, wb.second, {}, k};
    conv.attrs.padding = engine::Int2(kh / 2 * dilation, kw / 2 * dilation);
    conv.attrs.dilation = dilation;
    return conv;
  };
  Block b;
  if (c.norm != Norm::kNone) {
    const std::string norm = key + (c.norm == Norm::kLayerNorm ? ".layer_norm" : ".norm");
    UPRES_ASSIGN_OR_RETURN(b.norm_weight, w.tensor(norm + ".weight", {dim}));
    UPRES_ASSIGN_OR_RETURN(b.norm_bias, w.tensor(norm + ".bias", {dim}));
  }
  const std::string mixer = key + (c.variant == Variant::kPLKSR ? ".channe_mixer" : ".channel_mixer");
  const int k0 = c.mixer == Mixer::kICCM ? 1 : 3, k2 = c.mixer == Mixer::kCCM ? 1 : 3;
  UPRES_ASSIGN_OR_RETURN(b.mixer0, bind(mixer + ".0", dim, 2 * dim, k0, k0));
  UPRES_ASSIGN_OR_RETURN(b.mixer2, bind(mixer + ".2", 2 * dim, dim, k2, k2));
  const int k = c.kernel_size;
  switch (c.lk) {
    case LargeKernel::kPLK: {
      UPRES_ASSIGN_OR_RETURN(Conv conv, bind(key + ".lk.conv", pdim, pdim, k, k));
      b.lk.push_back(std::move(conv));
      break;
    }
    case LargeKernel::kSparsePLK:
      for (int j = 0; j < kSparseConvs; ++j) {
        UPRES_ASSIGN_OR_RETURN(Conv conv, bind(key + ".lk.convs." + std::to_string(j), pdim, pdim, kSparseKernel,
                                               kSparseKernel, j + 1));
        b.lk.push_back(std::move(conv));
      }
      break;
    case LargeKernel::kRectSparsePLK: {
      const int n = k / 3;
      if (n < 1) return corrupt("PLKSR: RectSparsePLK kernel " + std::to_string(k) + " is under 3");
      UPRES_ASSIGN_OR_RETURN(Conv mn, bind(key + ".lk.mn_conv", pdim, pdim, k, n));
      UPRES_ASSIGN_OR_RETURN(Conv nm, bind(key + ".lk.nm_conv", pdim, pdim, n, k));
      UPRES_ASSIGN_OR_RETURN(Conv nn_conv, bind(key + ".lk.nn_conv", pdim, pdim, n, n));
      b.lk = {std::move(mn), std::move(nm), std::move(nn_conv)};
      break;
    }
  }
  if (c.use_ea) {
    UPRES_ASSIGN_OR_RETURN(b.attn, bind(key + ".attn.f.0", dim, dim, 3, 3));
  }
  UPRES_ASSIGN_OR_RETURN(b.refine, bind(key + ".refine", dim, dim, 1, 1));
  return b;
}

Status PLKSR::bind(const nn::StateDict& w) {
  const Config& c = config_;
  auto bind3x3 = [&](const std::string& key, int64_t in, int64_t out) -> Result<Conv> {
    UPRES_ASSIGN_OR_RETURN(auto wb, conv_weights(w, key, in, out, 3, 3));
    Conv conv{wb.first, wb.second, {}, key};
    conv.attrs.padding = 1;
    return conv;
  };
  UPRES_ASSIGN_OR_RETURN(first_, bind3x3("feats.0", 3, c.dim));
  for (int i = 1; i <= c.n_blocks; ++i) {
    UPRES_ASSIGN_OR_RETURN(Block b, bind_block(w, feat(i)));
    blocks_.push_back(std::move(b));
  }
  const int last = c.n_blocks + (c.variant == Variant::kPLKSR ? 1 : 2);
  UPRES_ASSIGN_OR_RETURN(last_, bind3x3(feat(last), c.dim, 3 * int64_t{c.upscale} * c.upscale));
  return Status::ok();
}

engine::Value PLKSR::Conv::operator()(engine::Graph& graph, engine::Value x) const {
  return graph.named(graph.conv2d(x, weight, bias, attrs), name);
}

// PLKSR's mixers use GELU, RealPLKSR's DCCM Mish (fused into the conv before it on the cpu backend).
engine::Value PLKSR::mixer_activation(engine::Graph& g, engine::Value x) const {
  return config_.variant == Variant::kPLKSR ? g.gelu(x) : g.mish(x);
}

engine::Value PLKSR::block(engine::Graph& g, const Block& b, engine::Value x) const {
  const Config& c = config_;
  const engine::Value skip = x;                                                  // [1, dim, h, w]
  if (c.norm == Norm::kLayerNorm) {  // RealPLKSR's LayerNorm over channels, eps 1e-6
    const engine::Value nhwc = g.permute(x, {0, 2, 3, 1});
    x = g.permute(g.layer_norm(nhwc, b.norm_weight, b.norm_bias, {.normalized_dims = 1, .eps = 1e-6f}), {0, 3, 1, 2});
  }
  x = b.mixer2(g, mixer_activation(g, b.mixer0(g, x)));                        // [1, dim, h, w]
  // The partial large kernel: x[:, :pdim] = lk(x[:, :pdim]) (the eval form writes in place).
  const engine::Value part = c.pdim == c.dim ? x : g.slice(x, 1, 0, c.pdim);
  engine::Value y = b.lk[0](g, part);
  for (size_t j = 1; j < b.lk.size(); ++j) y = g.add(y, b.lk[j](g, part));
  x = c.pdim == c.dim ? y : g.concat({y, g.slice(x, 1, c.pdim, c.dim)}, 1);
  if (c.use_ea) x = g.mul(x, g.sigmoid(b.attn(g, x)));                          // EA
  x = b.refine(g, x);
  if (c.norm == Norm::kGroupNorm) x = g.group_norm(x, b.norm_weight, b.norm_bias, {.groups = kNormGroups});
  return g.add(x, skip);
}

Result<engine::Graph> PLKSR::build_graph(int height, int width) const {
  if (height <= 0 || width <= 0) {
    return invalid_argument(architecture() + ": input " + std::to_string(height) + "x" + std::to_string(width));
  }
  const int s = config_.upscale;
  engine::Graph g;
  const engine::Value input = g.input("input", {1, 3, height, width});          // [1, 3, h, w]
  engine::Value x = first_(g, input);                                           // [1, dim, h, w]
  for (const Block& b : blocks_) x = block(g, b, x);
  x = g.pixel_shuffle(last_(g, x), s);                                          // [1, 3, sh, sw]
  // pixel_shuffle(feats(x) + repeat_interleave(x, s^2, dim=1)) = pixel_shuffle(feats(x)) + nearest(x).
  const engine::ResizeAttrs nearest{.mode = engine::ResizeMode::kNearest, .scale_h = static_cast<float>(s),
                                    .scale_w = static_cast<float>(s)};
  g.mark_output(g.add(x, g.resize(input, nearest)));
  if (!g.status().is_ok()) return g.status().with_context(architecture() + " graph");
  return g;
}

// Peak of the fp32 values alive at once: the block's skip and input, the mixer's 2 dim channels
// (twice: before and after the activation), the large-kernel
// slice, concat and attention; or the tail's 3 s^2 channels three times; or a mixer convolution
// (dim -> 2 dim, 3x3) on the cpu backend's Winograd kernel, whose scratchpad (in the arena) at
// some map sizes holds the whole transformed input and output: 36/16 x (dim + 2 dim) floats per
// pixel beside about 5 dim live (measured 11.0 dim at 320 px, dim 64; 256 and 512 px need a third
// of that). Measured in tests/models/plksr_test.cpp.
double PLKSR::bytes_per_input_pixel() const {
  const double dim = static_cast<double>(config_.dim);
  const double s2 = static_cast<double>(config_.upscale) * config_.upscale;
  const double mixer = 2 * 2 * dim;
  const double winograd_mixer = 5 * dim + 36.0 / 16.0 * 3 * dim;
  return 4.0 * (3.0 + std::max({3 * dim + mixer, dim + 3 * (3 * s2), winograd_mixer}));
}

}  // namespace upres::models
