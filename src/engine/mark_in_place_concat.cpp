// Pass: mark channel concats of distinct conv2d outputs as in-place candidates (ConcatAttrs).
#include <algorithm>

#include "engine/graph_passes.h"

namespace upres::engine {

Status mark_in_place_concat(Graph& graph) {
  auto& nodes = graph.mutable_nodes();
  for (Node& node : nodes) {
    if (node.kind != OpKind::kConcat) continue;
    auto& attrs = std::get<ConcatAttrs>(node.attrs);
    const int rank = static_cast<int>(graph.shape(node.output).size());
    bool ok = rank == 4 && normalize_axis(attrs.axis, rank) == 1;
    for (size_t k = 0; ok && k < node.inputs.size(); ++k) {
      const int32_t producer = graph.info(node.inputs[k]).producer;
      ok = producer >= 0 && nodes[static_cast<size_t>(producer)].kind == OpKind::kConv2d &&
           std::count(node.inputs.begin(), node.inputs.end(), node.inputs[k]) == 1;
    }
    attrs.in_place = ok;
  }
  return Status::ok();
}

}  // namespace upres::engine
