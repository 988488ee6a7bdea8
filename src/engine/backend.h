// Backend: the small interface a device implements to run graphs (ggml-style: every slot
// documented). Model code sees only Graph and Tensor; adding CUDA means one more Backend in
// engine/cuda/ plus one line in backend_registry.cpp. Thread safety is stated per slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "engine/graph.h"
#include "engine/tensor.h"

namespace upres::engine {

// Bytes owned by a backend (host RAM for reference/cpu, device memory for cuda).
class DeviceBuffer {
 public:
  virtual ~DeviceBuffer() = default;
  virtual size_t size_bytes() const = 0;
};

// How the cpu backend lays out activations between ops. kAuto picks per CPU class (see
// engine/cpu/activation_layout.h); tests and benchmarks fix one to compare them on one machine.
enum class CpuLayout { kAuto, kBlocked8, kBlocked16, kChannelsLast };

struct PrepareOptions {
  // Storage/compute dtype for activations and weights. kF32 always works; kBF16 (fp32
  // accumulation) where the backend supports it, else prepare() fails with kUnsupported.
  DType compute_dtype = DType::kF32;
  // Worker threads; 0 = the backend's default (all cores).
  int num_threads = 0;
  // Run optimize_graph() (graph_passes.h) before compiling. Tests turn it off to compare the
  // fused and unfused forms; every backend must run both correctly.
  bool run_graph_passes = true;
  // Whether 3x3 stride-1 fp32 convolutions may run as Winograd F(4x4, 3x3) where the backend has a
  // fast kernel for it: up to 2x faster, outputs within ~1e-6 relative of the direct algorithm.
  // Benchmarks turn it off for the baseline.
  bool winograd = true;
  // cpu backend only: the activation layout (other backends ignore it).
  CpuLayout cpu_layout = CpuLayout::kAuto;
};

// A graph compiled for one set of input shapes. run() may be called any number of times (one
// call per tile) and reuses the buffers planned at prepare(). Not thread-safe: one run at a time
// per Executable; distinct Executables may run concurrently only if their backend says so.
class Executable {
 public:
  virtual ~Executable() = default;

  // Runs the graph. inputs[i] matches graph.inputs()[i] in shape (dtype may be any tensor dtype;
  // it is converted). For each outputs[i]: if undefined, run() allocates it as an fp32 kNchw
  // tensor of output_shapes()[i]; if defined, it must have that shape, kNchw layout and fp32/
  // fp16/bf16 dtype, and is written in place (so a caller can reuse it across tiles).
  // outputs.size() must equal output_shapes().size(). Returns when the outputs are on the host.
  virtual Status run(std::span<const Tensor> inputs, std::span<Tensor> outputs) = 0;

  virtual const std::vector<Shape>& input_shapes() const = 0;
  virtual const std::vector<Shape>& output_shapes() const = 0;
  // Bytes of activation memory this executable holds between runs (its arena), for budgeting.
  virtual size_t arena_bytes() const = 0;
  // Gives the activation memory back until the next run(), which allocates it again: for callers
  // that keep an executable while other large buffers (an output image being encoded) are alive.
  virtual void release_buffers() {}
  // Makes run() check `*flag` between its steps (ops) and fail with kCancelled once it is true, so
  // a user's interrupt is honoured within one op, not one picture; nullptr: never. The flag may be
  // set from any thread or a signal handler; it must outlive every later run(). Not thread-safe
  // with run().
  virtual void set_cancel_flag(const std::atomic<bool>* flag) { (void)flag; }
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "reference", "cpu", "cuda". Thread-safe.
  virtual std::string_view name() const = 0;

  // Whether prepare() can run this node at `dtype` (for tests and fallbacks). Thread-safe.
  virtual bool supports(const Node& node, DType dtype) const = 0;

  // Allocates `bytes` of backend memory, uninitialized. Fails with kResourceExhausted when the
  // memory is not there. Thread-safe.
  virtual Result<std::unique_ptr<DeviceBuffer>> allocate(size_t bytes) = 0;

  // Copies host `src` (kNchw) to `dst` at `offset_bytes`, byte for byte in src's dtype. May be
  // asynchronous: `src` must stay alive and unmodified until synchronize(). Fails if the range
  // does not fit in dst.
  virtual Status upload(const Tensor& src, DeviceBuffer& dst, size_t offset_bytes) = 0;

  // Copies dst.size_bytes() bytes at `offset_bytes` of `src` into host `dst` (kNchw, defined).
  // May be asynchronous until synchronize(). Fails if the range does not fit in src.
  virtual Status download(const DeviceBuffer& src, size_t offset_bytes, Tensor& dst) = 0;

  // Compiles `graph` for its current input shapes: runs the backend's passes, binds (and may
  // reorder) the weights, plans the activation arena. The graph must have status() OK. The
  // Executable does not reference `graph` after this returns. Fails with kUnsupported naming
  // the first node it cannot run. Not thread-safe with respect to other calls on this backend.
  virtual Result<std::unique_ptr<Executable>> prepare(const Graph& graph,
                                                      const PrepareOptions& options) = 0;

  // Blocks until every queued upload, download and run on this backend has finished.
  virtual Status synchronize() = 0;

  // The compute dtype convolution networks run fastest in on this device: kBF16 where its bf16
  // kernels outrun fp32 (AMX tiles), else kF32. Decided from what the device
  // reports, never by timing. Thread-safe.
  virtual DType fastest_compute_dtype() const { return DType::kF32; }
  // One line on the device as this backend sees it (for `upres info --cpu`). Thread-safe.
  virtual std::string describe() const { return std::string(name()); }
};

}  // namespace upres::engine
