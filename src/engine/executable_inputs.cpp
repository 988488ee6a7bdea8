#include "engine/executable_inputs.h"

namespace upres::engine {

Status check_run_inputs(std::span<const Tensor> inputs, const std::vector<Shape>& shapes,
                        const std::vector<std::string>& names) {
  if (inputs.size() != shapes.size()) {
    return invalid_argument("run: " + std::to_string(inputs.size()) + " inputs for " + std::to_string(shapes.size()) +
                            " graph inputs");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    if (!input.is_defined() || input.layout() != Layout::kNchw || input.shape() != shapes[i]) {
      return invalid_argument("run: input '" + names[i] + "' must be a kNchw tensor of shape " +
                              shape_to_string(shapes[i]));
    }
  }
  return Status::ok();
}

}  // namespace upres::engine
