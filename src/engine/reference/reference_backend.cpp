// Placeholder until the reference kernels land (same commit series).
#include "engine/backend_registry.h"

namespace upres::engine {

Result<std::unique_ptr<Backend>> make_reference_backend() {
  return unsupported("reference backend not built yet");
}

}  // namespace upres::engine
