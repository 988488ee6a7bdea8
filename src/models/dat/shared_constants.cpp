// SharedConstants: each distinct constant is added to the graph once, on first request.
#include "models/dat/shared_constants.h"

#include "engine/tensor.h"
#include "models/dat/token_layers.h"

namespace upres::models::tokens {

engine::Value SharedConstants::shifted_window_mask(int64_t map_h, int64_t map_w, int window_h, int window_w,
                                                   int shift_h, int shift_w) {
  const std::array<int64_t, 6> key{map_h, map_w, window_h, window_w, shift_h, shift_w};
  auto found = masks_.find(key);
  if (found != masks_.end()) return found->second;
  const engine::Tensor mask = tokens::shifted_window_mask(map_h, map_w, window_h, window_w, shift_h, shift_w);
  const int64_t n = int64_t{window_h} * window_w;
  const engine::Value value = graph_.constant(*mask.reshaped({mask.dim(0), 1, n, n}));
  masks_.emplace(key, value);
  return value;
}

engine::Value SharedConstants::zeros(const engine::Shape& shape) {
  auto found = zeros_.find(shape);
  if (found != zeros_.end()) return found->second;
  const engine::Value value = graph_.constant(*engine::Tensor::zeros(shape));
  zeros_.emplace(shape, value);
  return value;
}

}  // namespace upres::models::tokens
