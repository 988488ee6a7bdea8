// ReferenceBackend: host buffers and the factory registered as "reference".
#include "engine/reference/reference_backend.h"

#include <cstring>

#include "engine/backend_registry.h"
#include "engine/reference/kernel.h"
#include "engine/reference/reference_executable.h"

namespace upres::engine {

Result<std::unique_ptr<Backend>> make_reference_backend() {
  return std::unique_ptr<Backend>(std::make_unique<reference::ReferenceBackend>());
}

namespace reference {

Result<std::unique_ptr<HostBuffer>> HostBuffer::create(size_t bytes) {
  auto buffer = std::unique_ptr<HostBuffer>(new HostBuffer());
  UPRES_ASSIGN_OR_RETURN(buffer->storage_,
                         Tensor::zeros({static_cast<int64_t>((bytes + 3) / 4)}, DType::kF32));
  buffer->size_ = bytes;
  return buffer;
}

bool ReferenceBackend::supports(const Node& node, DType dtype) const {
  return find_kernel(node.kind) != nullptr && is_tensor_dtype(dtype);
}

Result<std::unique_ptr<DeviceBuffer>> ReferenceBackend::allocate(size_t bytes) {
  UPRES_ASSIGN_OR_RETURN(auto buffer, HostBuffer::create(bytes));
  return std::unique_ptr<DeviceBuffer>(std::move(buffer));
}

Status ReferenceBackend::upload(const Tensor& src, DeviceBuffer& dst, size_t offset_bytes) {
  auto* host = dynamic_cast<HostBuffer*>(&dst);
  if (host == nullptr) return invalid_argument("upload: buffer was not allocated by the reference backend");
  if (!src.is_defined() || src.layout() != Layout::kNchw) return invalid_argument("upload: src must be a defined kNchw tensor");
  if (offset_bytes > host->size_bytes() || src.size_bytes() > host->size_bytes() - offset_bytes) {
    return invalid_argument("upload: " + std::to_string(src.size_bytes()) + " bytes at offset " +
                            std::to_string(offset_bytes) + " overrun a " + std::to_string(host->size_bytes()) + "-byte buffer");
  }
  std::memcpy(host->bytes() + offset_bytes, src.raw(), src.size_bytes());
  return Status::ok();
}

Status ReferenceBackend::download(const DeviceBuffer& src, size_t offset_bytes, Tensor& dst) {
  const auto* host = dynamic_cast<const HostBuffer*>(&src);
  if (host == nullptr) return invalid_argument("download: buffer was not allocated by the reference backend");
  if (!dst.is_defined() || dst.layout() != Layout::kNchw) return invalid_argument("download: dst must be a defined kNchw tensor");
  if (offset_bytes > host->size_bytes() || dst.size_bytes() > host->size_bytes() - offset_bytes) {
    return invalid_argument("download: " + std::to_string(dst.size_bytes()) + " bytes at offset " +
                            std::to_string(offset_bytes) + " overrun a " + std::to_string(host->size_bytes()) + "-byte buffer");
  }
  std::memcpy(dst.raw(), host->bytes() + offset_bytes, dst.size_bytes());
  return Status::ok();
}

Result<std::unique_ptr<Executable>> ReferenceBackend::prepare(const Graph& graph, const PrepareOptions& options) {
  UPRES_ASSIGN_OR_RETURN(auto executable, ReferenceExecutable::create(graph, options));
  return std::unique_ptr<Executable>(std::move(executable));
}

}  // namespace reference
}  // namespace upres::engine
