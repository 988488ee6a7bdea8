// ExecutionPlan: a graph lowered to a flat list of oneDNN primitives and host (reference-kernel)
// steps over one arena. Lowering decides each value's oneDNN layout, inserts reorders where a
// consumer needs another layout, then bind() places every value in the arena once; run() replays
// the steps. Not thread-safe: one run() at a time.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/cpu/activation_layout.h"
#include "engine/graph.h"

namespace upres::engine::cpu {

// Where one value's bytes live: its oneDNN layout and a place inside a root value's arena block
// (itself, or a wider concat buffer it is a channel slice of).
struct ValueStorage {
  dnnl::memory::desc desc;    // empty until the producer is lowered
  dnnl::memory memory;        // data handle set by bind()
  int32_t root = -1;          // value whose arena block holds the bytes
  size_t offset_in_root = 0;  // bytes
};

// One action of run(): a primitive with its arguments, or a host function (a native kernel of
// this backend, or a reference kernel run as the fallback).
struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  std::function<Status()> host;
  std::string label;
  bool reference_fallback = false;  // host is a single-threaded reference kernel (lower_fallback.cpp)
};

class ExecutionPlan {
 public:
  // winograd: PrepareOptions::winograd, for the convolutions lowered into this plan; activations:
  // the layout values keep between ops.
  ExecutionPlan(const Graph& graph, dnnl::engine engine, dnnl::memory::data_type compute_type, bool winograd,
                ActivationLayout activations);

  const Graph& graph() const { return graph_; }
  const dnnl::engine& engine() const { return engine_; }
  dnnl::memory::data_type compute_type() const { return compute_type_; }
  bool allows_winograd() const { return winograd_; }
  const ActivationLayout& activations() const { return activations_; }
  // The activation layout's descriptor of a 4-D `shape` in `type`.
  dnnl::memory::desc activation_desc(const Shape& shape, dnnl::memory::data_type type) const {
    return activations_.desc(shape, type);
  }

  // --- lowering -----------------------------------------------------------------------------
  // Marks `value` as stored at channel `channel_offset` of `root` (in-place concatenation).
  // Requires: called before either is given a desc; both are 4-D, batch 1, in the blocked
  // activation layout, at a block-aligned offset.
  void alias(Value value, Value root, int64_t channel_offset);
  bool is_aliased(Value value) const;
  // Whether another value lives inside `value`'s bytes (it is their root).
  bool has_aliases(Value value) const;
  // Places `value` in the bytes of `with` (a residual that a convolution accumulates onto in
  // place). Requires: before bind(); neither is_aliased(value) nor has_aliases(value); both
  // have the same desc.
  void share_storage(Value value, Value with);
  ValueStorage& storage(Value value) { return values_.at(static_cast<size_t>(value.id)); }
  // Fixes the layout of `value` (its producer's output).
  void set_desc(Value value, const dnnl::memory::desc& desc);
  // The value's own memory. Requires: set_desc() was called.
  const dnnl::memory& memory_of(Value value) const;
  // A memory holding `value` in layout `wanted`: the value's own memory when the layouts are
  // equal, else a temporary filled by a reorder step appended now.
  dnnl::memory input_as(Value value, const dnnl::memory::desc& wanted);
  // A temporary that lives until the next begin_node(): bind() places it among the values not
  // alive during this node (a convolution's scratchpad, a reordered input).
  dnnl::memory temp(const dnnl::memory::desc& desc);
  // A memory over the same bytes as `base` seen through `desc` (e.g. a submemory descriptor).
  dnnl::memory view_of(const dnnl::memory& base, const dnnl::memory::desc& desc);
  void begin_node(std::string label);
  void add_primitive(dnnl::primitive primitive, std::unordered_map<int, dnnl::memory> args);
  void add_reorder(const dnnl::memory& src, const dnnl::memory& dst);
  // A host step: a native kernel, or with `reference_fallback` a reference kernel (the slow path).
  void add_host(std::function<Status()> action, bool reference_fallback = false);
  // Keeps host data that a step's memory wraps (e.g. weights) alive as long as the plan.
  void keep_alive(std::shared_ptr<const void> owner) { owned_.push_back(std::move(owner)); }

  // --- after lowering -----------------------------------------------------------------------
  // Places every value and temporary in one arena (reused across runs) and binds the handles.
  Status bind();
  size_t arena_bytes() const { return arena_bytes_; }
  // Frees the arena; ensure_arena() (execute() calls it) allocates it again. Values do not survive.
  void release_arena();
  Status ensure_arena() { return arena_ ? Status::ok() : allocate_arena(); }
  // Replays the steps. With `step_seconds`, waits after each step and records its wall time there
  // (for profiling: slower than a plain run). With `cancel`, checks it before each step and fails
  // with kCancelled once it is true (the values are then partial).
  Status execute(dnnl::stream& stream, std::vector<double>* step_seconds = nullptr,
                 const std::atomic<bool>* cancel = nullptr);
  const std::vector<Step>& steps() const { return steps_; }

 private:
  struct Temp {
    dnnl::memory memory;
    int32_t node = 0;  // the node being lowered when it was made
  };

  const Graph& graph_;
  dnnl::engine engine_;
  dnnl::memory::data_type compute_type_;
  bool winograd_;
  ActivationLayout activations_;
  std::vector<ValueStorage> values_;
  std::vector<Step> steps_;
  std::vector<Temp> temps_;
  std::vector<std::pair<dnnl::memory, dnnl::memory>> views_;  // (base, view)
  std::string label_;
  int32_t node_index_ = -1;  // of the node being lowered (begin_node() calls so far, minus one)
  std::vector<std::shared_ptr<const void>> owned_;
  // Allocates the arena and points every placed memory (and view) into it.
  Status allocate_arena();

  std::shared_ptr<std::byte> arena_;
  size_t arena_bytes_ = 0;
  std::vector<std::pair<dnnl::memory, size_t>> placements_;  // (memory, offset in the arena)
};

// The plain (row-major) layout of `shape` in `type`.
dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type type);

}  // namespace upres::engine::cpu
