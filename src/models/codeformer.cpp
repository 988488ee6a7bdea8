// CodeFormer: configuration from weights, binding, where the encoder features are taken and fused,
// and the two graphs. The original fixes those points by block index (fuse_encoder_block: after
// the last block before each Downsample; fuse_generator_block: after the first block after each
// Upsample); here they are found by walking the blocks, which gives the same indices for the
// released layout (5, 8, 11, 14 and 18, 15, 12, 9 for sizes 256, 128, 64, 32).
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
#include "models/codeformer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>

#include "models/codeformer_restorer.h"

namespace upres::models {
namespace {

constexpr int64_t kImageChannels = 3;
constexpr int64_t kMaxImageSize = 2048;  // the released model takes 512 px faces
constexpr std::string_view kFusePrefix = "fuse_convs_dict.";

// The sizes N of the "fuse_convs_dict.N." keys, ascending.
Result<std::vector<int64_t>> read_connect_sizes(const nn::StateDict& weights) {
  std::set<int64_t> sizes;
  for (const std::string& key : weights.keys()) {
    std::string_view name = key;
    if (!name.starts_with(kFusePrefix)) continue;
    name.remove_prefix(kFusePrefix.size());
    const size_t dot = name.find('.');
    int64_t size = 0;
    const auto [end, error] =
        std::from_chars(name.data(), name.data() + std::min(dot, name.size()), size);
    if (dot == std::string_view::npos || error != std::errc() || end != name.data() + dot ||
        size < 1) {
      return corrupt("'" + key + "': fuse_convs_dict entries are named by a feature size");
    }
    sizes.insert(size);
  }
  return std::vector<int64_t>(sizes.begin(), sizes.end());
}

// Every AttnBlock attends over side^2 positions with a side^2 x side^2 matrix: 16x16 in the
// released model. Refuses what would need gigabytes.
Status check_attention_sides(const std::vector<VqganBlock>& blocks, int64_t side) {
  constexpr int64_t kMaxAttentionSide = 64;
  for (const VqganBlock& block : blocks) {
    if (block.kind == VqganBlockKind::kAttnBlock && side > kMaxAttentionSide) {
      return unsupported("CodeFormer: AttnBlock '" + block.name + "' at " + std::to_string(side) +
                         "x" + std::to_string(side) + " (at most " +
                         std::to_string(kMaxAttentionSide) + ")");
    }
    side = block.output_side(side);
  }
  return Status::ok();
}

}  // namespace

Result<std::shared_ptr<const CodeFormer>> CodeFormer::from_weights(const nn::StateDict& weights,
                                                                   int n_head) {
  std::shared_ptr<CodeFormer> net(new CodeFormer());
  UPRES_ASSIGN_OR_RETURN(net->transformer_, CodeFormerTransformer::bind(weights, n_head));
  UPRES_ASSIGN_OR_RETURN(net->codebook_, CodeFormerCodebook::bind(weights));
  const CodeFormerTransformer::Config& t = net->transformer_.config();
  Config& c = net->config_;
  c.emb_dim = net->codebook_.dim();
  c.codebook_size = net->codebook_.size();
  c.dim_embd = t.dim_embd;
  c.n_layers = t.n_layers;
  c.n_head = t.n_head;
  c.latent_side =
      std::llround(std::sqrt(static_cast<double>(t.tokens)));  // a square: checked by bind
  if (t.latent_channels != c.emb_dim || t.codebook_size != c.codebook_size) {
    return corrupt("CodeFormer: feat_emb takes " + std::to_string(t.latent_channels) +
                   " channels and idx_pred_layer gives " + std::to_string(t.codebook_size) +
                   " logits, but the codebook 'quantize.embedding.weight' is [" +
                   std::to_string(c.codebook_size) + ", " + std::to_string(c.emb_dim) + "]");
  }
  UPRES_RETURN_IF_ERROR(net->bind_vqgan(weights));
  UPRES_ASSIGN_OR_RETURN(c.connect_sizes, read_connect_sizes(weights));
  UPRES_RETURN_IF_ERROR(net->find_fusion_points());
  UPRES_RETURN_IF_ERROR(net->bind_fusion(weights));
  return std::shared_ptr<const CodeFormer>(std::move(net));
}

Status CodeFormer::bind_vqgan(const nn::StateDict& weights) {
  Config& c = config_;
  UPRES_ASSIGN_OR_RETURN(c.nf, weights.dim("encoder.blocks.0.weight", 0));
  UPRES_ASSIGN_OR_RETURN(encoder_blocks_,
                         bind_vqgan_blocks(weights, "encoder.blocks", kImageChannels, false));
  if (encoder_blocks_.back().out_channels != c.emb_dim) {
    return corrupt("CodeFormer: the encoder's last block '" + encoder_blocks_.back().name +
                   "' gives " + std::to_string(encoder_blocks_.back().out_channels) +
                   " channels, the codebook holds " + std::to_string(c.emb_dim));
  }
  UPRES_ASSIGN_OR_RETURN(generator_blocks_,
                         bind_vqgan_blocks(weights, "generator.blocks", c.emb_dim, true));
  if (generator_blocks_.back().out_channels != kImageChannels) {
    return corrupt("CodeFormer: the generator's last block '" + generator_blocks_.back().name +
                   "' gives " + std::to_string(generator_blocks_.back().out_channels) +
                   " channels, expected 3");
  }
  const auto count = [](const std::vector<VqganBlock>& blocks, VqganBlockKind kind) {
    return std::count_if(blocks.begin(), blocks.end(),
                         [kind](const VqganBlock& b) { return b.kind == kind; });
  };
  const auto downsamples = count(encoder_blocks_, VqganBlockKind::kDownsample);
  if (downsamples != count(generator_blocks_, VqganBlockKind::kUpsample) || downsamples > 10) {
    return corrupt("CodeFormer: the encoder has " + std::to_string(downsamples) +
                   " Downsample blocks, the generator " +
                   std::to_string(count(generator_blocks_, VqganBlockKind::kUpsample)) +
                   " Upsample blocks");
  }
  c.image_size = c.latent_side << downsamples;
  if (c.image_size > kMaxImageSize) {
    return unsupported("CodeFormer for " + std::to_string(c.image_size) + " px faces (a " +
                       std::to_string(c.latent_side) + "x" + std::to_string(c.latent_side) +
                       " latent, " + std::to_string(downsamples) + " Downsample blocks); at most " +
                       std::to_string(kMaxImageSize));
  }
  UPRES_RETURN_IF_ERROR(check_attention_sides(encoder_blocks_, c.image_size));
  return check_attention_sides(generator_blocks_, c.latent_side);
}

// Encoder: the feature before each Downsample; generator: the one after the block following each
// Upsample. Only the connect sizes are kept.
Status CodeFormer::find_fusion_points() {
  const std::set<int64_t> wanted(config_.connect_sizes.begin(), config_.connect_sizes.end());
  int64_t side = config_.image_size;
  for (size_t i = 0; i < encoder_blocks_.size(); ++i) {
    if (i > 0 && encoder_blocks_[i].kind == VqganBlockKind::kDownsample && wanted.count(side)) {
      encoder_taps_[static_cast<int>(i) - 1] = side;
    }
    side = encoder_blocks_[i].output_side(side);
  }
  side = config_.latent_side;
  for (size_t i = 0; i < generator_blocks_.size(); ++i) {
    side = generator_blocks_[i].output_side(side);
    if (i > 0 && generator_blocks_[i - 1].kind == VqganBlockKind::kUpsample && wanted.count(side)) {
      generator_taps_[static_cast<int>(i)] = side;
    }
  }
  for (int64_t size : config_.connect_sizes) {
    const auto has = [size](const std::map<int, int64_t>& taps) {
      return std::any_of(taps.begin(), taps.end(),
                         [size](const auto& tap) { return tap.second == size; });
    };
    if (!has(encoder_taps_) || !has(generator_taps_)) {
      return unsupported("CodeFormer: fuse_convs_dict." + std::to_string(size) +
                         " has no encoder stage before a " +
                         "Downsample and generator stage after an Upsample of that size (a " +
                         std::to_string(config_.image_size) + " px face)");
    }
  }
  return Status::ok();
}

Status CodeFormer::bind_fusion(const nn::StateDict& weights) {
  for (const auto& [index, size] : generator_taps_) {
    const int64_t channels = generator_blocks_[static_cast<size_t>(index)].out_channels;
    const std::string key = std::string(kFusePrefix) + std::to_string(size);
    UPRES_ASSIGN_OR_RETURN(FuseSftBlock block, FuseSftBlock::bind(weights, key, channels));
    fuse_convs_.emplace(size, std::move(block));
  }
  for (const auto& [index, size] : encoder_taps_) {
    const int64_t channels = encoder_blocks_[static_cast<size_t>(index)].out_channels;
    if (channels != fuse_convs_.at(size).channels()) {
      return corrupt("CodeFormer: encoder feature of size " + std::to_string(size) + " ('" +
                     encoder_blocks_[static_cast<size_t>(index)].name + "') has " +
                     std::to_string(channels) + " channels, fuse_convs_dict." +
                     std::to_string(size) + " takes " +
                     std::to_string(fuse_convs_.at(size).channels()));
    }
  }
  return Status::ok();
}

Result<engine::Graph> CodeFormer::build_encoder_graph() const {
  engine::Graph g;
  const int64_t s = config_.image_size;
  engine::Value x = g.input("face", {1, kImageChannels, s, s});  // [1, 3, S, S]
  std::map<int64_t, engine::Value> features;                     // by size
  for (size_t i = 0; i < encoder_blocks_.size(); ++i) {
    x = encoder_blocks_[i].forward(g, x);
    const auto tap = encoder_taps_.find(static_cast<int>(i));
    if (tap != encoder_taps_.end()) features[tap->second] = x;
  }
  g.mark_output(transformer_.forward(g, x));  // logits [L, K]
  g.mark_output(x);                           // lq_feat [1, E, s, s]
  for (const auto& [size, feature] : features) g.mark_output(feature);
  if (!g.status().is_ok()) return g.status().with_context("CodeFormer encoder graph");
  return g;
}

Result<engine::Graph> CodeFormer::build_generator_graph(bool fuse) const {
  engine::Graph g;
  const int64_t s = config_.latent_side;
  engine::Value x = g.input("quant_feat", {1, config_.emb_dim, s, s});
  std::map<int64_t, engine::Value> features;  // by size
  engine::Value w;
  if (fuse) {
    std::map<int64_t, int64_t> channels;  // by size, ascending as graph A outputs them
    for (const auto& [index, size] : encoder_taps_) {
      channels[size] = encoder_blocks_[static_cast<size_t>(index)].out_channels;
    }
    for (const auto& [size, c] : channels) {
      features[size] = g.input("enc_" + std::to_string(size), {1, c, size, size});
    }
    w = g.input("w", {1, 1, 1, 1});
  }
  for (size_t i = 0; i < generator_blocks_.size(); ++i) {
    x = generator_blocks_[i].forward(g, x);
    const auto tap = generator_taps_.find(static_cast<int>(i));
    if (fuse && tap != generator_taps_.end()) {
      x = fuse_convs_.at(tap->second).forward(g, features.at(tap->second), x, w);
    }
  }
  g.mark_output(x);  // [1, 3, S, S]
  if (!g.status().is_ok()) return g.status().with_context("CodeFormer generator graph");
  return g;
}

bool looks_like_codeformer(const nn::StateDict& weights) {
  return weights.has("position_emb") && weights.has_prefix("ft_layers.") &&
         weights.has_prefix("idx_pred_layer.") && weights.has_prefix("generator.blocks.");
}

Result<std::unique_ptr<FaceRestorer>> load_codeformer(weights::WeightFile file,
                                                      std::string source) {
  const nn::StateDict weights(file.weights);
  auto net = CodeFormer::from_weights(weights);
  if (!net.is_ok()) return net.status().with_context(source);
  return std::unique_ptr<FaceRestorer>(
      new CodeFormerRestorer(std::move(net).value(), std::move(source)));
}

}  // namespace upres::models
