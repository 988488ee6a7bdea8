// ExecutionPlan: layouts, reorders, arena placement by value lifetimes, and replay.
#include "engine/cpu/execution_plan.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/buffer_memory.h"

namespace upres::engine::cpu {
namespace {

using dnnl::memory;
constexpr size_t kAlignment = 4096;

size_t align_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// A block [first, last] in node steps and its size; offset assigned by place_blocks().
struct Block {
  int32_t value = -1;
  int32_t first = 0;
  int32_t last = 0;
  size_t bytes = 0;
  size_t offset = 0;
};

// Greedy best-fit: biggest blocks first, each at the lowest offset free during its lifetime.
size_t place_blocks(std::vector<Block>& blocks) {
  std::vector<Block*> order;
  for (Block& b : blocks) order.push_back(&b);
  std::stable_sort(order.begin(), order.end(), [](const Block* a, const Block* b) { return a->bytes > b->bytes; });
  std::vector<const Block*> placed;
  size_t peak = 0;
  for (Block* block : order) {
    std::vector<const Block*> live;
    for (const Block* p : placed)
      if (p->first <= block->last && block->first <= p->last) live.push_back(p);
    std::sort(live.begin(), live.end(), [](const Block* a, const Block* b) { return a->offset < b->offset; });
    size_t offset = 0;
    for (const Block* p : live) {
      if (offset + block->bytes <= p->offset) break;
      offset = std::max(offset, p->offset + p->bytes);
    }
    block->offset = offset;
    peak = std::max(peak, offset + block->bytes);
    placed.push_back(block);
  }
  return peak;
}

}  // namespace

memory::desc plain_desc(const Shape& shape, memory::data_type type) {
  memory::dims dims(shape.begin(), shape.end());
  if (dims.empty()) dims = {1};
  memory::dims strides(dims.size(), 1);
  for (size_t k = dims.size() - 1; k > 0; --k) strides[k - 1] = strides[k] * dims[k];
  return memory::desc(dims, type, strides);
}

ExecutionPlan::ExecutionPlan(const Graph& graph, dnnl::engine engine, memory::data_type compute_type, bool winograd,
                             ActivationLayout activations)
    : graph_(graph),
      engine_(std::move(engine)),
      compute_type_(compute_type),
      winograd_(winograd),
      activations_(activations),
      values_(graph.value_info().size()) {
  for (size_t v = 0; v < values_.size(); ++v) values_[v].root = static_cast<int32_t>(v);
}

void ExecutionPlan::alias(Value value, Value root, int64_t channel_offset) {
  const Shape& shape = graph_.shape(value);
  ValueStorage& s = storage(value);
  s.root = storage(root).root;
  s.offset_in_root = storage(root).offset_in_root +
                     static_cast<size_t>(channel_offset * shape[2] * shape[3]) * memory::data_type_size(compute_type_);
}

bool ExecutionPlan::is_aliased(Value value) const {
  return values_.at(static_cast<size_t>(value.id)).root != value.id;
}

bool ExecutionPlan::has_aliases(Value value) const {
  for (size_t v = 0; v < values_.size(); ++v) {
    if (values_[v].root == value.id && static_cast<int32_t>(v) != value.id) return true;
  }
  return false;
}

void ExecutionPlan::share_storage(Value value, Value with) {
  ValueStorage& s = storage(value);
  s.root = storage(with).root;
  s.offset_in_root = storage(with).offset_in_root;
}

void ExecutionPlan::set_desc(Value value, const memory::desc& desc) {
  ValueStorage& s = storage(value);
  s.desc = desc;
  s.memory = memory(desc, engine_, DNNL_MEMORY_NONE);
}

const memory& ExecutionPlan::memory_of(Value value) const { return values_.at(static_cast<size_t>(value.id)).memory; }

memory ExecutionPlan::input_as(Value value, const memory::desc& wanted) {
  const memory& own = memory_of(value);
  if (own.get_desc() == wanted) return own;
  memory converted = temp(wanted);
  add_reorder(own, converted);
  return converted;
}

memory ExecutionPlan::temp(const memory::desc& desc) {
  Temp t{memory(desc, engine_, DNNL_MEMORY_NONE), std::max(node_index_, 0)};
  temps_.push_back(t);
  return t.memory;
}

memory ExecutionPlan::view_of(const memory& base, const memory::desc& desc) {
  memory view(desc, engine_, DNNL_MEMORY_NONE);
  views_.emplace_back(base, view);
  return view;
}

void ExecutionPlan::begin_node(std::string label) {
  label_ = std::move(label);
  ++node_index_;
}

void ExecutionPlan::add_primitive(dnnl::primitive primitive, std::unordered_map<int, memory> args) {
  steps_.push_back(Step{std::move(primitive), std::move(args), {}, label_});
}

void ExecutionPlan::add_reorder(const memory& src, const memory& dst) {
  add_primitive(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
}

void ExecutionPlan::add_host(std::function<Status()> action, bool reference_fallback) {
  steps_.push_back(Step{{}, {}, std::move(action), label_, reference_fallback});
}

Status ExecutionPlan::bind() {
  const int32_t node_count = static_cast<int32_t>(graph_.nodes().size());
  // One block per root value, living from the first producer to the last reader of any member.
  std::vector<Block> blocks;
  std::vector<int32_t> block_of(values_.size(), -1);
  auto touch = [&](int32_t value, int32_t step) {
    const int32_t root = values_[static_cast<size_t>(value)].root;
    int32_t& b = block_of[static_cast<size_t>(root)];
    if (b < 0) {
      b = static_cast<int32_t>(blocks.size());
      blocks.push_back(Block{root, step, step, align_up(values_[static_cast<size_t>(root)].desc.get_size())});
    }
    blocks[static_cast<size_t>(b)].first = std::min(blocks[static_cast<size_t>(b)].first, step);
    blocks[static_cast<size_t>(b)].last = std::max(blocks[static_cast<size_t>(b)].last, step);
  };
  for (Value input : graph_.inputs()) touch(input.id, 0);
  for (int32_t n = 0; n < node_count; ++n) {
    const Node& node = graph_.nodes()[static_cast<size_t>(n)];
    touch(node.output.id, n);
    for (Value input : node.inputs) touch(input.id, n);
  }
  for (Value output : graph_.outputs()) touch(output.id, node_count);
  for (const ValueStorage& s : values_) {
    if (s.memory && !s.desc.is_zero() && block_of[static_cast<size_t>(s.root)] < 0)
      return internal_error("cpu: a value has a layout but no producer or reader");
  }
  // Temporaries live during their node only, so they share bytes with values dead by then.
  const size_t first_temp_block = blocks.size();
  for (const Temp& t : temps_) blocks.push_back(Block{-1, t.node, t.node, align_up(t.memory.get_desc().get_size())});
  arena_bytes_ = align_up(place_blocks(blocks));
  placements_.clear();
  for (ValueStorage& s : values_) {
    if (!s.memory) continue;
    const Block& block = blocks[static_cast<size_t>(block_of[static_cast<size_t>(s.root)])];
    placements_.push_back({s.memory, block.offset + s.offset_in_root});
  }
  for (size_t k = 0; k < temps_.size(); ++k) {
    placements_.push_back({temps_[k].memory, blocks[first_temp_block + k].offset});
  }
  return allocate_arena();
}

Status ExecutionPlan::allocate_arena() {
  void* raw = allocate_buffer(std::max<size_t>(arena_bytes_, kAlignment), kAlignment);
  if (raw == nullptr) return resource_exhausted("cpu: arena of " + std::to_string(arena_bytes_) + " bytes");
  // Touch every page once, here rather than in the first run, on every thread: the page faults of a
  // large arena (R-ESRGAN 4x+ on a 276 px map: ~700 MB) cost ~1 s of one core.
  constexpr size_t kChunk = size_t{2} << 20;
  const auto chunks = static_cast<int64_t>((arena_bytes_ + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const size_t begin = static_cast<size_t>(c) * kChunk;
    std::memset(static_cast<std::byte*>(raw) + begin, 0, std::min(kChunk, arena_bytes_ - begin));
  }
  arena_.reset(static_cast<std::byte*>(raw), [](std::byte* p) { free_buffer(p); });
  for (auto& [memory, offset] : placements_) memory.set_data_handle(arena_.get() + offset);
  for (auto& [base, view] : views_) view.set_data_handle(base.get_data_handle());
  return Status::ok();
}

void ExecutionPlan::release_arena() { arena_.reset(); }

Status ExecutionPlan::execute(dnnl::stream& stream, std::vector<double>* step_seconds,
                              const std::atomic<bool>* cancel) {
  UPRES_RETURN_IF_ERROR(ensure_arena());
  if (step_seconds != nullptr) step_seconds->assign(steps_.size(), 0.0);
  for (size_t k = 0; k < steps_.size(); ++k) {
    Step& step = steps_[k];
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      stream.wait();
      return cancelled("interrupted at " + step.label);
    }
    const auto start = std::chrono::steady_clock::now();
    if (step.host) {
      stream.wait();
      Status status = step.host();
      if (!status.is_ok()) return status.with_context(step.label);
    } else {
      try {
        step.primitive.execute(stream, step.args);
      } catch (const dnnl::error& e) {
        return internal_error(step.label + ": oneDNN: " + e.what());
      }
    }
    if (step_seconds != nullptr) {
      stream.wait();
      (*step_seconds)[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  stream.wait();
  return Status::ok();
}

}  // namespace upres::engine::cpu
