// OnnxGraphTranslator: data movement on run-time tensors (Concat, Slice, Split, Reshape family,
// Transpose, Gather of one index, DepthToSpace/SpaceToDepth, Resize/Upsample, Pad).
#include <cmath>

#include "models/onnx/onnx_graph_translator.h"
#include "models/onnx/onnx_host_ops.h"

namespace upres::models {
namespace {

Result<int> checked_axis(int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return invalid_argument("axis " + std::to_string(axis) + " out of range");
  return static_cast<int>(axis);
}

}  // namespace

Status OnnxGraphTranslator::concat(const Node& node) {
  std::vector<engine::Value> xs;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!has_input(node, i)) continue;
    UPRES_ASSIGN_OR_RETURN(engine::Value v, runtime_input(node, i));
    if (engine::shape_numel(graph_.shape(v)) == 0) continue;  // ONNX allows empty pieces
    xs.push_back(v);
  }
  if (xs.empty()) return unsupported("Concat of empty tensors");
  UPRES_ASSIGN_OR_RETURN(int axis, checked_axis(onnx_int_attr(node, "axis", 0), graph_.shape(xs[0]).size()));
  return set_value(node, xs.size() == 1 ? xs[0] : graph_.concat(xs, axis));
}

Status OnnxGraphTranslator::slice(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  std::vector<int64_t> starts, ends, axes, steps;
  if (has_input(node, 1)) {
    UPRES_ASSIGN_OR_RETURN(starts, host_ints_input(node, 1));
    UPRES_ASSIGN_OR_RETURN(ends, host_ints_input(node, 2));
    if (has_input(node, 3)) {
      UPRES_ASSIGN_OR_RETURN(axes, host_ints_input(node, 3));
    }
    if (has_input(node, 4)) {
      UPRES_ASSIGN_OR_RETURN(steps, host_ints_input(node, 4));
    }
  } else {  // opset < 10: attributes
    starts = onnx_ints_attr(node, "starts");
    ends = onnx_ints_attr(node, "ends");
    axes = onnx_ints_attr(node, "axes");
  }
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return invalid_argument("Slice arguments differ in length");
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    if (steps[i] != 1) return unsupported("Slice with step " + std::to_string(steps[i]) + " (only 1)");
    UPRES_ASSIGN_OR_RETURN(int axis, checked_axis(axes[i], graph_.shape(x).size()));
    const int64_t dim = graph_.shape(x)[static_cast<size_t>(axis)];
    auto [s, e] = clamp_slice(starts[i], ends[i], 1, dim);
    if (e <= s) return unsupported("Slice to an empty tensor");
    if (s != 0 || e != dim) x = graph_.slice(x, axis, s, e);
  }
  return set_value(node, x);
}

Status OnnxGraphTranslator::split(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const engine::Shape s = graph_.shape(x);
  UPRES_ASSIGN_OR_RETURN(int axis, checked_axis(onnx_int_attr(node, "axis", 0), s.size()));
  std::vector<int64_t> sizes = onnx_ints_attr(node, "split");
  if (has_input(node, 1)) {
    UPRES_ASSIGN_OR_RETURN(sizes, host_ints_input(node, 1));
  }
  const int64_t dim = s[static_cast<size_t>(axis)];
  const auto parts = static_cast<int64_t>(node.outputs.size());
  if (sizes.empty()) {
    if (parts == 0) return corrupt("Split without outputs");
    const int64_t each = (dim + parts - 1) / parts;  // the last part may be smaller (opset 18)
    for (int64_t p = 0, left = dim; p < parts; ++p, left -= each) sizes.push_back(std::min(each, left));
  }
  if (static_cast<int64_t>(sizes.size()) != parts) return invalid_argument("Split sizes do not match its outputs");
  int64_t start = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] <= 0 || start + sizes[i] > dim) return invalid_argument("Split sizes do not fit the axis");
    UPRES_RETURN_IF_ERROR(set_value(node, graph_.slice(x, axis, start, start + sizes[i]), i));
    start += sizes[i];
  }
  if (start != dim) return invalid_argument("Split sizes do not add up to the axis");
  return Status::ok();
}

Status OnnxGraphTranslator::reshape(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, 0));
  const engine::Shape in_dims = in->scalar ? engine::Shape{} : graph_.shape(x);
  UPRES_ASSIGN_OR_RETURN(auto arg, onnx_shape_argument(node, [&] { return host_ints_input(node, 1); }));
  UPRES_ASSIGN_OR_RETURN(engine::Shape dims, onnx_reshaped_dims(node, in_dims, arg));
  if (dims.empty()) {  // still rank 0: the engine's [1]
    OnnxOperand out;
    out.value = graph_.named(graph_.reshape(x, {1}), node.name);
    out.scalar = true;
    return set_operand(node, std::move(out));
  }
  return set_value(node, dims == graph_.shape(x) ? x : graph_.reshape(x, dims));
}

Status OnnxGraphTranslator::transpose(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const auto rank = static_cast<int>(graph_.shape(x).size());
  std::vector<int> perm;
  for (int64_t p : onnx_ints_attr(node, "perm")) perm.push_back(static_cast<int>(p));
  if (perm.empty()) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  return set_value(node, graph_.permute(x, perm));
}

Status OnnxGraphTranslator::gather(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  UPRES_ASSIGN_OR_RETURN(OnnxHostTensor idx, host_input(node, 1));
  const engine::Shape s = graph_.shape(x);
  UPRES_ASSIGN_OR_RETURN(int axis, checked_axis(onnx_int_attr(node, "axis", 0), s.size()));
  if (idx.numel() != 1 || idx.dims.size() > 1) return unsupported("Gather of a run-time tensor with several indices");
  auto i = static_cast<int64_t>(idx.values[0]);
  const int64_t dim = s[static_cast<size_t>(axis)];
  if (i < 0) i += dim;
  if (i < 0 || i >= dim) return invalid_argument("Gather index out of range");
  engine::Value y = graph_.slice(x, axis, i, i + 1);
  if (idx.dims.empty()) {  // a scalar index drops the axis
    engine::Shape dims = s;
    dims.erase(dims.begin() + axis);
    y = graph_.reshape(y, dims);
  }
  return set_value(node, y);
}

Status OnnxGraphTranslator::depth_to_space(const Node& node, bool to_space) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const int64_t r = onnx_int_attr(node, "blocksize", 0);
  if (r < 1 || r > 64) return invalid_argument("blocksize " + std::to_string(r));
  if (!to_space) {
    return set_value(node, graph_.pixel_unshuffle(x, static_cast<int>(r), engine::ShuffleOrder::kDepthToSpace));
  }
  const std::string mode = onnx_string_attr(node, "mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return unsupported("DepthToSpace mode " + mode);
  auto order = mode == "DCR" ? engine::ShuffleOrder::kDepthToSpace : engine::ShuffleOrder::kPytorch;
  return set_value(node, graph_.pixel_shuffle(x, static_cast<int>(r), order));
}

Status OnnxGraphTranslator::resize(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const engine::Shape s = graph_.shape(x);
  if (s.size() != 4) return unsupported("Resize of a tensor that is not [N, C, H, W]");
  const bool upsample = node.op_type == "Upsample" || onnx_.opset < 11;
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  const size_t scales_input = upsample ? 1 : 2;
  if (has_input(node, scales_input)) {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor sc, host_input(node, scales_input));
    scales = sc.values;
  } else if (const auto* a = node.attribute("scales")) {
    scales.assign(a->floats.begin(), a->floats.end());
  }
  if (!upsample && has_input(node, 3)) {
    UPRES_ASSIGN_OR_RETURN(sizes, host_ints_input(node, 3));
  }
  if (node.attribute("axes") != nullptr) return unsupported("Resize with axes");
  if (onnx_int_attr(node, "antialias", 0) != 0) return unsupported("Resize with antialias");
  engine::ResizeAttrs attrs;
  if (!sizes.empty()) {
    if (sizes.size() != 4 || sizes[0] != s[0] || sizes[1] != s[1]) return unsupported("Resize of N or C");
    if (sizes[2] < 1 || sizes[3] < 1 || sizes[2] > (1 << 20) || sizes[3] > (1 << 20)) {
      return invalid_argument("bad Resize sizes");
    }
    attrs.out_h = sizes[2];
    attrs.out_w = sizes[3];
  } else {
    if (scales.size() != 4 || scales[0] != 1.0 || scales[1] != 1.0) return unsupported("Resize needs scales for H and W only");
    if (!(scales[2] > 0 && scales[3] > 0 && scales[2] < 1024 && scales[3] < 1024)) return invalid_argument("bad Resize scales");
    attrs.scale_h = static_cast<float>(scales[2]);
    attrs.scale_w = static_cast<float>(scales[3]);
  }
  const std::string mode = onnx_string_attr(node, "mode", "nearest");
  const std::string coords = onnx_string_attr(node, "coordinate_transformation_mode", upsample ? "asymmetric" : "half_pixel");
  if (mode == "nearest") {
    // Engine nearest is floor(dst / scale): ONNX asymmetric + floor, or (at integer scales)
    // half_pixel + round_prefer_floor, which picks the same pixels.
    const std::string nearest = onnx_string_attr(node, "nearest_mode", upsample ? "floor" : "round_prefer_floor");
    const bool integer_scale = attrs.out_h == 0 ? (std::floor(scales[2]) == scales[2] && std::floor(scales[3]) == scales[3])
                                                : (attrs.out_h % s[2] == 0 && attrs.out_w % s[3] == 0);
    const bool same = (coords == "asymmetric" && nearest == "floor") ||
                      (integer_scale && (coords == "half_pixel" || coords == "pytorch_half_pixel") &&
                       (nearest == "round_prefer_floor" || nearest == "round_prefer_ceil" || nearest == "floor"));
    if (!same) return unsupported("nearest Resize with " + coords + "/" + nearest);
    attrs.mode = engine::ResizeMode::kNearest;
  } else if (mode == "linear" || mode == "bilinear" || mode == "cubic") {
    attrs.mode = mode == "cubic" ? engine::ResizeMode::kBicubic : engine::ResizeMode::kBilinear;
    if (mode == "cubic" && std::fabs(onnx_float_attr(node, "cubic_coeff_a", -0.75f) + 0.75f) > 1e-6f) {
      return unsupported("cubic Resize with cubic_coeff_a other than -0.75");
    }
    if (coords == "align_corners") {
      attrs.align_corners = true;
    } else if (coords != "half_pixel" && coords != "pytorch_half_pixel") {
      return unsupported(mode + " Resize with coordinate_transformation_mode " + coords);
    }
  } else {
    return unsupported("Resize mode " + mode);
  }
  return set_value(node, graph_.resize(x, attrs));
}

Status OnnxGraphTranslator::pad(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const engine::Shape s = graph_.shape(x);
  std::vector<int64_t> pads = onnx_ints_attr(node, "pads");
  if (has_input(node, 1)) {
    UPRES_ASSIGN_OR_RETURN(pads, host_ints_input(node, 1));
  }
  if (has_input(node, 3)) return unsupported("Pad with axes");
  float value = onnx_float_attr(node, "value", 0.0f);
  if (has_input(node, 2)) {
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor v, host_input(node, 2));
    if (v.numel() == 1) value = static_cast<float>(v.values[0]);
  }
  if (s.size() != 4 || pads.size() != 8) return unsupported("Pad of a tensor that is not [N, C, H, W]");
  if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) return unsupported("Pad of N or C");
  for (int64_t p : pads) {
    if (p < 0 || p > (1 << 16)) return unsupported("negative or huge pads");
  }
  const std::string mode = onnx_string_attr(node, "mode", "constant");
  engine::PadAttrs attrs{.left = static_cast<int>(pads[3]), .right = static_cast<int>(pads[7]),
                         .top = static_cast<int>(pads[2]), .bottom = static_cast<int>(pads[6])};
  if (mode == "constant") {
    attrs.mode = engine::PadMode::kZero;
    attrs.value = value;
  } else if (mode == "reflect") {
    attrs.mode = engine::PadMode::kReflect;
  } else if (mode == "edge") {
    attrs.mode = engine::PadMode::kReplicate;
  } else {
    return unsupported("Pad mode " + mode);
  }
  return set_value(node, graph_.pad(x, attrs));
}

}  // namespace upres::models
