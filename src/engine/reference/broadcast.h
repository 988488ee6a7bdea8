// Broadcast strides: maps an output index to the index of an input broadcast to that output
// (numpy rules, right-aligned; a dim of 1 repeats). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace upres::engine::reference {

class BroadcastIndex {
 public:
  // Requires: `in` broadcasts to `out`.
  BroadcastIndex(const Shape& in, const Shape& out) : out_(out), strides_(out.size(), 0) {
    int64_t stride = 1;
    for (size_t k = 0; k < in.size(); ++k) {
      size_t i = in.size() - 1 - k;
      size_t o = out.size() - 1 - k;
      strides_[o] = in[i] == 1 ? 0 : stride;
      stride *= in[i];
    }
  }

  // Input element index for output element `flat`.
  int64_t operator()(int64_t flat) const {
    int64_t index = 0;
    for (size_t k = out_.size(); k-- > 0;) {
      index += (flat % out_[k]) * strides_[k];
      flat /= out_[k];
    }
    return index;
  }

 private:
  Shape out_;
  std::vector<int64_t> strides_;
};

}  // namespace upres::engine::reference
