// Lowering of layer norm onto oneDNN's layer normalization: the normalized trailing dims are
// flattened into one, on a plain fp32 copy, with optional scale (weight) and shift (bias).
#include "engine/cpu/lowering.h"

namespace upres::engine::cpu {

Status lower_layer_norm(ExecutionPlan& plan, const Node& node) {
  using dnnl::memory;
  const Shape& x = plan.graph().shape(node.inputs[0]);
  const auto& attrs = std::get<LayerNormAttrs>(node.attrs);
  int64_t inner = 1;
  for (size_t k = x.size() - static_cast<size_t>(attrs.normalized_dims); k < x.size(); ++k) inner *= x[k];
  const int64_t outer = shape_numel(x) / std::max<int64_t>(inner, 1);
  const memory::desc flat({outer, inner}, memory::data_type::f32, memory::format_tag::ab);
  const bool has_scale = !node.constants.empty() && node.constants[0].is_defined();
  const bool has_shift = node.constants.size() > 1 && node.constants[1].is_defined();
  auto flags = dnnl::normalization_flags::none;
  if (has_scale) flags |= dnnl::normalization_flags::use_scale;
  if (has_shift) flags |= dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::primitive_desc pd(
      dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_inference, flat, attrs.eps, flags),
      plan.engine());
  memory src = plan.input_as(node.inputs[0], plain_desc(x, memory::data_type::f32));
  plan.set_desc(node.output, plain_desc(x, memory::data_type::f32));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, plan.view_of(src, flat)},
                                       {DNNL_ARG_DST, plan.view_of(plan.memory_of(node.output), flat)}};
  const memory::desc vector_desc({inner}, memory::data_type::f32, memory::format_tag::a);
  for (auto [index, arg] : {std::pair{0, DNNL_ARG_SCALE}, std::pair{1, DNNL_ARG_SHIFT}}) {
    if (!(index == 0 ? has_scale : has_shift)) continue;
    const std::vector<float> values = node.constants[static_cast<size_t>(index)].to_f32();
    if (static_cast<int64_t>(values.size()) != inner)
      return invalid_argument("cpu: layer_norm '" + node.name + "': affine parameter size");
    memory m(vector_desc, plan.engine());
    std::copy(values.begin(), values.end(), static_cast<float*>(m.get_data_handle()));
    args.emplace(arg, m);
  }
  plan.add_primitive(dnnl::layer_normalization_forward(pd), std::move(args));
  return Status::ok();
}

}  // namespace upres::engine::cpu
