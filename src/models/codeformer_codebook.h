// CodeFormerCodebook: the host step between CodeFormer's two graphs. The top-1 code per latent
// position (argmax of the transformer's logits), the lookup of those codes in the VQGAN codebook
// (quantize.embedding.weight), and adaptive instance normalization of the looked-up features to
// the encoder's statistics. Immutable after binding; thread-safe.
// Original: https://github.com/sczhou/CodeFormer/blob/master/basicsr/archs/codeformer_arch.py
// (calc_mean_std, adaptive_instance_normalization) and vqgan_arch.py (get_codebook_feat)
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "engine/tensor.h"
#include "nn/state_dict.h"

namespace upres::models {

class CodeFormerCodebook {
 public:
  // calc_mean_std's eps, added to the (unbiased) variance before the square root.
  static constexpr double kStdEps = 1e-5;

  // Binds "quantize.embedding.weight" [codebook_size, emb_dim] with sizes read from it.
  static Result<CodeFormerCodebook> bind(const nn::StateDict& weights);

  int64_t size() const { return embedding_.dim(0); }
  int64_t dim() const { return embedding_.dim(1); }

  // logits: [L, size()] fp32 -> the index of each row's largest logit (the first on ties).
  // Corrupt when a row holds a non-finite value.
  Result<std::vector<int32_t>> top_codes(const engine::Tensor& logits) const;

  // codes: side * side indices in [0, size()) -> [1, dim(), side, side], the code of position
  // y * side + x at (y, x).
  Result<engine::Tensor> lookup(const std::vector<int32_t>& codes, int64_t side) const;

 private:
  engine::Tensor embedding_;  // [size, dim]
};

// (content - mean(content)) / std(content) * std(style) + mean(style), per channel over the
// spatial positions, std = sqrt(unbiased variance + 1e-5). content and style: [1, C, H, W] fp32 of
// the same shape.
Result<engine::Tensor> adaptive_instance_normalization(const engine::Tensor& content,
                                                       const engine::Tensor& style);

}  // namespace upres::models
