// CodeFormer (Zhou et al., NeurIPS 2022): a VQGAN encoder, a transformer predicting one codebook
// entry per latent position, the VQGAN generator decoding the looked-up codes, and SFT blocks
// fusing encoder features into the generator with the fidelity weight w. Run as two graphs with
// the code choice (argmax, lookup, AdaIN) on the host between them; configured from the weights.
// Immutable after loading; thread-safe.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"
#include "models/codeformer_codebook.h"
#include "models/codeformer_transformer.h"
#include "models/codeformer_vqgan.h"
#include "models/face_restorer.h"
#include "nn/state_dict.h"
#include "weights/weight_file.h"

namespace upres::models {

class CodeFormer {
 public:
  // n_head of the released model; the weights do not record it.
  static constexpr int kDefaultHeads = 8;

  struct Config {
    int64_t nf = 64;        // encoder.blocks.0 output channels
    int64_t emb_dim = 256;  // latent channels (codebook entry size)
    int64_t codebook_size = 1024;
    int64_t dim_embd = 512;
    int n_layers = 9;
    int n_head = kDefaultHeads;
    int64_t latent_side = 16;            // sqrt of position_emb rows
    int64_t image_size = 512;            // latent_side * 2^(Downsample blocks)
    std::vector<int64_t> connect_sizes;  // fuse_convs_dict keys, ascending (32, 64, 128, 256)
  };

  // Reads the configuration from key shapes and binds every weight. NotFound naming the first
  // missing key; Corrupt for shapes that disagree; Unsupported for a connect size with no
  // matching encoder and generator stage.
  static Result<std::shared_ptr<const CodeFormer>> from_weights(const nn::StateDict& weights,
                                                                int n_head = kDefaultHeads);

  // Graph A. Input "face" [1, 3, S, S] in [-1, 1] (S = image_size). Outputs, in order: logits
  // [L, codebook_size] (L = latent_side^2), lq_feat [1, emb_dim, s, s], then the encoder feature
  // at each connect size, ascending.
  Result<engine::Graph> build_encoder_graph() const;
  // Graph B. Inputs: "quant_feat" [1, emb_dim, s, s]; when `fuse`, then the encoder features of
  // graph A in the same order and "w" [1, 1, 1, 1]. Output: the face [1, 3, S, S], about [-1, 1].
  Result<engine::Graph> build_generator_graph(bool fuse) const;

  const Config& config() const { return config_; }
  const CodeFormerCodebook& codebook() const { return codebook_; }
  // Encoder block index -> size of the feature graph A outputs after it; generator block index ->
  // size of the feature fused after it.
  const std::map<int, int64_t>& encoder_taps() const { return encoder_taps_; }
  const std::map<int, int64_t>& generator_taps() const { return generator_taps_; }

 private:
  CodeFormer() = default;
  Status bind_vqgan(const nn::StateDict& weights);
  Status find_fusion_points();
  Status bind_fusion(const nn::StateDict& weights);

  Config config_;
  std::vector<VqganBlock> encoder_blocks_;    // encoder.blocks.N
  std::vector<VqganBlock> generator_blocks_;  // generator.blocks.N
  CodeFormerTransformer transformer_;
  CodeFormerCodebook codebook_;
  std::map<int64_t, FuseSftBlock> fuse_convs_;  // fuse_convs_dict by feature size
  std::map<int, int64_t> encoder_taps_;  // encoder block index -> size of the feature kept after it
  std::map<int, int64_t> generator_taps_;  // generator block index -> size fused after it
};

// True when the state dict has CodeFormer's characteristic keys (position_emb, ft_layers,
// idx_pred_layer, generator blocks).
bool looks_like_codeformer(const nn::StateDict& weights);

// A CodeFormerRestorer over `file`'s weights (n_head 8). `source` (a path or model name) prefixes
// error messages.
Result<std::unique_ptr<FaceRestorer>> load_codeformer(weights::WeightFile file, std::string source);

}  // namespace upres::models
