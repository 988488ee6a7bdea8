// The check every Executable::run() makes of its inputs before it touches them (backend.h states
// the contract). A free function; thread-safe.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/tensor.h"

namespace upres::engine {

// OK when `inputs` holds one defined kNchw tensor per graph input, of that input's shape (any
// tensor dtype); else InvalidArgument naming the count or the first input that is not.
// Requires: names.size() == shapes.size() (the graph's input names and shapes, in order).
Status check_run_inputs(std::span<const Tensor> inputs, const std::vector<Shape>& shapes,
                        const std::vector<std::string>& names);

}  // namespace upres::engine
