// SharedConstants: the tile-sized constants that many blocks of one DAT or HAT graph need (the
// shifted-window masks, the zero columns and rows that pad a token map to whole windows), made
// the first time a block asks and handed to every later block, so a graph holds one of each
// rather than one per block. Owned by one build_graph call; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "engine/graph.h"

namespace upres::models::tokens {

class SharedConstants {
 public:
  // Requires: `graph` outlives this object, and the Values it returns are used in `graph` only.
  explicit SharedConstants(engine::Graph& graph) : graph_(graph) {}
  SharedConstants(const SharedConstants&) = delete;
  SharedConstants& operator=(const SharedConstants&) = delete;

  // shifted_window_mask(map_h, map_w, window_h, window_w, shift_h, shift_w) as a constant of
  // shape [windows, 1, N, N], broadcasting over the heads of [windows, heads, N, N] scores.
  // Requires: map_h and map_w are multiples of window_h and window_w.
  engine::Value shifted_window_mask(int64_t map_h, int64_t map_w, int window_h, int window_w, int shift_h,
                                    int shift_w);
  // A zero-filled fp32 constant of `shape`.
  engine::Value zeros(const engine::Shape& shape);

 private:
  engine::Graph& graph_;
  // Keyed by every argument the mask depends on: (map_h, map_w, window_h, window_w, shift_h, shift_w).
  std::map<std::array<int64_t, 6>, engine::Value> masks_;
  std::map<engine::Shape, engine::Value> zeros_;
};

}  // namespace upres::models::tokens
