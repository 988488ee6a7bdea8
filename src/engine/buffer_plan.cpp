// Greedy-by-size arena planning: place the largest values first, each in the lowest gap that is
// free among values whose lifetimes overlap it.
#include "engine/buffer_plan.h"

#include <algorithm>
#include <numeric>

namespace upres::engine {
namespace {

struct Placed {
  int64_t offset;
  size_t size;
};

// Lowest offset where `size` bytes fit between the (offset-sorted) busy ranges.
int64_t lowest_fit(std::vector<Placed>& busy, size_t size) {
  std::sort(busy.begin(), busy.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
  int64_t candidate = 0;
  int64_t best = -1;
  size_t best_gap = 0;
  for (const Placed& range : busy) {
    if (range.offset > candidate) {
      size_t gap = static_cast<size_t>(range.offset - candidate);
      if (gap >= size && (best < 0 || gap < best_gap)) {
        best = candidate;
        best_gap = gap;
      }
    }
    candidate = std::max(candidate, range.offset + static_cast<int64_t>(range.size));
  }
  return best >= 0 ? best : candidate;
}

}  // namespace

Result<BufferPlan> plan_buffers(const Graph& graph, size_t bytes_per_element, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return invalid_argument("plan_buffers: alignment " + std::to_string(alignment) + " is not a power of two");
  }
  const auto& values = graph.value_info();
  const auto& nodes = graph.nodes();
  BufferPlan plan;
  plan.offset_bytes.assign(values.size(), BufferPlan::kNotPlanned);
  plan.size_bytes.assign(values.size(), 0);
  plan.first_use.assign(values.size(), -1);
  plan.last_use.assign(values.size(), -1);
  std::vector<size_t> planned;
  for (size_t i = 0; i < nodes.size(); ++i) {
    size_t id = static_cast<size_t>(nodes[i].output.id);
    size_t element = bytes_per_element != 0 ? bytes_per_element : dtype_size(values[id].dtype);
    size_t bytes = static_cast<size_t>(shape_numel(values[id].shape)) * element;
    plan.size_bytes[id] = (bytes + alignment - 1) / alignment * alignment;
    plan.first_use[id] = plan.last_use[id] = static_cast<int32_t>(i);
    planned.push_back(id);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (Value input : nodes[i].inputs) {
      auto& last = plan.last_use[static_cast<size_t>(input.id)];
      last = std::max(last, static_cast<int32_t>(i));
    }
  }
  for (Value output : graph.outputs()) {
    plan.last_use[static_cast<size_t>(output.id)] = static_cast<int32_t>(nodes.size());
  }
  std::stable_sort(planned.begin(), planned.end(), [&](size_t a, size_t b) {
    return plan.size_bytes[a] > plan.size_bytes[b];
  });
  std::vector<size_t> done;
  for (size_t id : planned) {
    std::vector<Placed> busy;
    for (size_t other : done) {
      bool overlap = plan.first_use[other] <= plan.last_use[id] && plan.first_use[id] <= plan.last_use[other];
      if (overlap) busy.push_back({plan.offset_bytes[other], plan.size_bytes[other]});
    }
    plan.offset_bytes[id] = lowest_fit(busy, plan.size_bytes[id]);
    plan.peak_bytes = std::max(plan.peak_bytes, static_cast<size_t>(plan.offset_bytes[id]) + plan.size_bytes[id]);
    plan.total_bytes += plan.size_bytes[id];
    done.push_back(id);
  }
  for (int32_t step = 0; step <= static_cast<int32_t>(nodes.size()); ++step) {
    size_t live = 0;
    for (size_t id : planned) {
      if (plan.first_use[id] <= step && step <= plan.last_use[id]) live += plan.size_bytes[id];
    }
    plan.largest_live_bytes = std::max(plan.largest_live_bytes, live);
  }
  return plan;
}

}  // namespace upres::engine
