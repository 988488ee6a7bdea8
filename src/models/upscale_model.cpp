// UpscaleModel: the defaults of its optional parts.
#include "models/upscale_model.h"

namespace upres::models {

Result<engine::Graph> UpscaleModel::build_window_graph(int, int, const GlobalMeanInputs&) const {
  return unsupported(architecture() + " models have no window graph: their convolutions pad, so tiles blend");
}

}  // namespace upres::models
