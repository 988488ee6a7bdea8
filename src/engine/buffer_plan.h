// BufferPlan: offsets of every intermediate value in one arena, assigned from value lifetimes so
// that values alive at the same time never overlap and peak memory stays near the largest live
// set (greedy best-fit by size, like TFLite's arena planner). Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "engine/graph.h"

namespace upres::engine {

struct BufferPlan {
  static constexpr int64_t kNotPlanned = -1;  // graph inputs and constants-free inputs
  // Indexed by Value id.
  std::vector<int64_t> offset_bytes;
  std::vector<size_t> size_bytes;       // rounded up to the alignment; 0 when not planned
  std::vector<int32_t> first_use;       // node index that produces the value
  std::vector<int32_t> last_use;        // last node index that reads it (nodes().size() for outputs)
  size_t peak_bytes = 0;                // arena size
  size_t total_bytes = 0;               // sum of planned sizes (the no-reuse arena)
  size_t largest_live_bytes = 0;        // max over node steps of the bytes alive at that step
};

// Plans every value produced by a node (graph inputs are caller-owned and not planned).
// bytes_per_element 0 means each value's own dtype size; backends computing in another dtype
// pass theirs. alignment must be a power of two.
Result<BufferPlan> plan_buffers(const Graph& graph, size_t bytes_per_element = 0,
                                size_t alignment = 64);

}  // namespace upres::engine
