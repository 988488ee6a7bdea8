// StateDict: a model's weights addressed by PyTorch state-dict key, read into fp32 engine tensors
// with their shapes checked against what the architecture expects. Views a WeightMap it does not
// own. Immutable; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/tensor.h"
#include "weights/weight_map.h"

namespace upres::nn {

class StateDict {
 public:
  // Requires: `weights` outlives this StateDict.
  explicit StateDict(const weights::WeightMap& weights) : weights_(weights) {}

  bool has(std::string_view key) const { return weights_.contains(key); }
  // True when some key starts with `prefix`.
  bool has_prefix(std::string_view prefix) const;
  // The stored shape of `key`, or nullptr when absent.
  const std::vector<int64_t>* shape(std::string_view key) const;
  // Dimension `axis` of `key`; NotFound / Corrupt (rank too small) naming the key.
  Result<int64_t> dim(std::string_view key, int axis) const;

  // spandrel's get_seq_len: 1 + the largest i such that a key starts with "<prefix>.<i>.",
  // 0 when there is none.
  int seq_len(std::string_view prefix) const;

  // The tensor under `key` as fp32. NotFound when absent; Corrupt naming the key and both shapes
  // when its shape is not `expected`.
  Result<engine::Tensor> tensor(std::string_view key, const engine::Shape& expected) const;

  // Every key, in file order (for messages).
  std::vector<std::string> keys() const;
  // Up to `count` keys joined with ", " (for "what the keys look like" messages).
  std::string key_sample(size_t count) const;

  const weights::WeightMap& weight_map() const { return weights_; }

 private:
  const weights::WeightMap& weights_;
};

}  // namespace upres::nn
