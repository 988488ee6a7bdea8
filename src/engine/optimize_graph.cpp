// optimize_graph: the default pass pipeline, in the order that lets each pass see the previous
// one's fused forms.
#include "engine/graph_passes.h"

namespace upres::engine {

Status optimize_graph(Graph& graph) {
  UPRES_RETURN_IF_ERROR(graph.status());
  UPRES_RETURN_IF_ERROR(fold_batch_norm(graph));
  UPRES_RETURN_IF_ERROR(fuse_conv_activation(graph));
  UPRES_RETURN_IF_ERROR(fuse_conv_residual(graph));
  UPRES_RETURN_IF_ERROR(fuse_conv_activation(graph));  // act(conv + r): activation after residual
  UPRES_RETURN_IF_ERROR(fold_nested_residual(graph));
  UPRES_RETURN_IF_ERROR(fuse_conv_activation(graph));  // act(conv + r'), now that r' is inside
  UPRES_RETURN_IF_ERROR(mark_in_place_concat(graph));
  graph.remove_dead_nodes();
  return graph.validate();
}

}  // namespace upres::engine
