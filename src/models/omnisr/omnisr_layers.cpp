// OmniSR's small layers: convolution binding, channel layer norm, row normalisation.
#include "models/omnisr/omnisr_layers.h"

#include <vector>

namespace upres::models::omnisr {

Result<Conv> Conv::bind(const nn::StateDict& weights, const std::string& key, const ConvSpec& spec) {
  if (spec.in_channels <= 0 || spec.out_channels <= 0 || spec.kernel <= 0 || spec.groups <= 0 ||
      spec.in_channels % spec.groups != 0 || spec.out_channels % spec.groups != 0) {
    return corrupt("conv '" + key + "': " + std::to_string(spec.in_channels) + " -> " +
                   std::to_string(spec.out_channels) + " channels in " + std::to_string(spec.groups) + " groups");
  }
  Conv conv;
  conv.name = key;
  conv.attrs.stride = spec.stride;
  conv.attrs.padding = spec.padding < 0 ? spec.kernel / 2 : spec.padding;
  conv.attrs.groups = spec.groups;
  UPRES_ASSIGN_OR_RETURN(conv.weight, weights.tensor(key + ".weight", {spec.out_channels, spec.in_channels / spec.groups,
                                                                      spec.kernel, spec.kernel}));
  const bool has_bias = spec.bias == Bias::kRequired || (spec.bias == Bias::kIfPresent && weights.has(key + ".bias"));
  if (has_bias) {
    UPRES_ASSIGN_OR_RETURN(conv.bias, weights.tensor(key + ".bias", {spec.out_channels}));
  } else if (spec.bias == Bias::kAbsent && weights.has(key + ".bias")) {
    return corrupt("conv '" + key + "' has a bias the architecture does not have");
  }
  return conv;
}

engine::Value Conv::operator()(engine::Graph& graph, engine::Value x) const {
  return graph.named(graph.conv2d(x, weight, bias, attrs), name);
}

Result<ChannelNorm> ChannelNorm::bind(const nn::StateDict& weights, const std::string& key, int64_t channels,
                                      float eps) {
  ChannelNorm norm;
  norm.eps = eps;
  UPRES_ASSIGN_OR_RETURN(norm.weight, weights.tensor(key + ".weight", {channels}));
  UPRES_ASSIGN_OR_RETURN(norm.bias, weights.tensor(key + ".bias", {channels}));
  return norm;
}

engine::Value ChannelNorm::last_dim(engine::Graph& graph, engine::Value x) const {
  return graph.layer_norm(x, weight, bias, {.normalized_dims = 1, .eps = eps});
}

engine::Value ChannelNorm::channels_first(engine::Graph& graph, engine::Value x) const {
  const engine::Value nhwc = graph.permute(x, {0, 2, 3, 1});          // [1, h, w, C]
  return graph.permute(last_dim(graph, nhwc), {0, 3, 1, 2});          // [1, C, h, w]
}

}  // namespace upres::models::omnisr
