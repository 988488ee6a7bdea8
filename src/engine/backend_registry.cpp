// The list of built backends. One line per backend folder; the cpu line is compiled in when
// src/engine/cpu/ was configured (UPRES_ENGINE_HAS_CPU).
#include "engine/backend_registry.h"

namespace upres::engine {

std::vector<std::string> backend_names() {
  std::vector<std::string> names = {"reference"};
#ifdef UPRES_ENGINE_HAS_CPU
  names.push_back("cpu");
#endif
  return names;
}

Result<std::unique_ptr<Backend>> create_backend(std::string_view name) {
  if (name == "reference") return make_reference_backend();
#ifdef UPRES_ENGINE_HAS_CPU
  if (name == "cpu") return make_cpu_backend();
#endif
  return not_found("backend '" + std::string(name) + "' is not built into this binary");
}

}  // namespace upres::engine
