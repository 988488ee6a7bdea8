// The registry of built backends by name: "reference" always, "cpu" when oneDNN was found at
// configure time, later "cuda". Backends are registered in backend_registry.cpp, explicitly (no
// static initializers). Thread-safe: the list is fixed at build time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/backend.h"

namespace upres::engine {

// Names of the backends compiled into this build, "reference" first.
std::vector<std::string> backend_names();

// A new instance of the named backend. kNotFound for a name not built in; a backend's own
// creation error (e.g. no GPU) otherwise.
Result<std::unique_ptr<Backend>> create_backend(std::string_view name);

// Factories, one per backend folder. Each lives in that folder's library.
Result<std::unique_ptr<Backend>> make_reference_backend();
Result<std::unique_ptr<Backend>> make_cpu_backend();   // src/engine/cpu/, when built

}  // namespace upres::engine
