// ReferenceBackend: runs graphs with the naive kernels of this folder on the host. Memory is
// host RAM; upload/download are synchronous memcpy. Thread-safe: prepare() keeps no state in
// the backend, and distinct Executables may run concurrently.
#pragma once

#include <memory>

#include "engine/backend.h"

namespace upres::engine::reference {

// Host memory as a DeviceBuffer, 64-byte aligned. Shared by host-memory backends.
class HostBuffer final : public DeviceBuffer {
 public:
  static Result<std::unique_ptr<HostBuffer>> create(size_t bytes);
  size_t size_bytes() const override { return size_; }
  std::byte* bytes() { return static_cast<std::byte*>(storage_.raw()); }
  const std::byte* bytes() const { return static_cast<const std::byte*>(storage_.raw()); }

 private:
  Tensor storage_;  // fp32 storage rounded up; only its bytes are used
  size_t size_ = 0;
};

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  bool supports(const Node& node, DType dtype) const override;
  Result<std::unique_ptr<DeviceBuffer>> allocate(size_t bytes) override;
  Status upload(const Tensor& src, DeviceBuffer& dst, size_t offset_bytes) override;
  Status download(const DeviceBuffer& src, size_t offset_bytes, Tensor& dst) override;
  Result<std::unique_ptr<Executable>> prepare(const Graph& graph, const PrepareOptions& options) override;
  Status synchronize() override { return Status::ok(); }
};

}  // namespace upres::engine::reference
