// NcnnGraphTranslator: data-movement layers (Crop in its three forms, Interp, PixelShuffle, Concat,
// Slice, Padding, Pooling), each from ncnn src/layer/<name>.cpp.
#include <algorithm>
#include <vector>

#include "models/ncnn_graph_translator.h"

namespace upres::models {
namespace {

using engine::Shape;
using engine::Value;
using weights::NcnnLayer;

constexpr int kOpen = -233;  // ncnn's "unset / all that remains"

}  // namespace

Result<NcnnBlob> NcnnGraphTranslator::crop(const NcnnLayer& layer, const std::vector<NcnnBlob>& xs) {
  const NcnnBlob& x = xs[0];
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  const weights::NcnnParamDict& p = layer.params;
  const Shape in = shape(x);
  // Per engine axis 1..3 (c, h, w): [begin, end).
  int64_t begin[4] = {0, 0, 0, 0};
  int64_t end[4] = {0, in[1], in[2], in[3]};
  if (p.has(9)) {  // numpy slice form: starts, ends, axes
    std::vector<int32_t> starts = p.get_int_array(9), ends = p.get_int_array(10), axes = p.get_int_array(11);
    if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int32_t>(i));
    if (ends.size() != starts.size() || axes.size() != starts.size()) return corrupt("starts, ends and axes differ in length");
    for (size_t i = 0; i < starts.size(); ++i) {
      UPRES_ASSIGN_OR_RETURN(int axis, engine_axis(layer, axes[i], x.dims));
      int64_t size = in[axis];
      int64_t s = starts[i] < 0 ? size + starts[i] : starts[i];
      int64_t e = ends[i] == kOpen ? size : (ends[i] > 0 ? ends[i] : size + ends[i]);
      begin[axis] = std::clamp<int64_t>(s, 0, size);
      end[axis] = std::clamp<int64_t>(e, 0, size);
    }
  } else {
    // Offsets (w, h, c) = params 0, 1, 2; with a reference blob its size is the output size,
    // else params 3, 4, 5 (0 or -233: all that remains after offset2 = params 6, 7, 8).
    const int offset_id[4] = {0, 2, 1, 0}, size_id[4] = {0, 5, 4, 3}, offset2_id[4] = {0, 8, 7, 6};
    for (int axis = 1; axis <= 3; ++axis) {
      int64_t offset = p.get_int(offset_id[axis], 0);
      int64_t remaining = in[axis] - offset - p.get_int(offset2_id[axis], 0);
      int64_t size = remaining;
      if (xs.size() == 2) {
        const Shape& ref = shape(xs[1]);
        if (xs[1].dims != 3) return unsupported("reference blob must be a [c, h, w] blob");
        size = ref[axis];
      } else {
        int64_t wanted = p.get_int(size_id[axis], 0);
        if (wanted != 0 && wanted != kOpen) size = std::min(wanted, remaining);
      }
      if (offset < 0 || size < 1 || offset + size > in[axis]) {
        return invalid_argument("crop of " + std::to_string(size) + " at " + std::to_string(offset) +
                                " does not fit input " + engine::shape_to_string(in));
      }
      begin[axis] = offset;
      end[axis] = offset + size;
    }
  }
  Value v = x.value;
  for (int axis = 1; axis <= 3; ++axis) {
    if (end[axis] <= begin[axis]) {
      return invalid_argument("empty crop on axis " + std::to_string(axis) + " of input " + engine::shape_to_string(in));
    }
    if (begin[axis] != 0 || end[axis] != in[axis]) v = graph_.slice(v, axis, begin[axis], end[axis]);
  }
  return NcnnBlob{v, 3};
}

Result<NcnnBlob> NcnnGraphTranslator::interp(const NcnnLayer& layer, const NcnnBlob& x) {
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  const weights::NcnnParamDict& p = layer.params;
  if (p.get_int(5, 0) != 0 || p.has(9)) return unsupported("dynamic or expression output sizes are not supported");
  int type = p.get_int(0, 0);
  engine::ResizeAttrs attrs;
  if (type == 1) attrs.mode = engine::ResizeMode::kNearest;
  else if (type == 2) attrs.mode = engine::ResizeMode::kBilinear;
  else if (type == 3) attrs.mode = engine::ResizeMode::kBicubic;
  else return unsupported("resize_type " + std::to_string(type) + " is not supported");
  attrs.align_corners = p.get_int(6, 0) != 0;
  const Shape& in = shape(x);
  float scale_h = p.get_float(1, 1.0f), scale_w = p.get_float(2, 1.0f);
  attrs.out_h = p.get_int(3, 0);
  attrs.out_w = p.get_int(4, 0);
  if (attrs.out_h == 0 || attrs.out_w == 0) {
    attrs.out_h = static_cast<int64_t>(static_cast<float>(in[2]) * scale_h);
    attrs.out_w = static_cast<int64_t>(static_cast<float>(in[3]) * scale_w);
    if (type == 1) {  // ncnn nearest samples at x / scale when no size is given
      attrs = {.mode = attrs.mode, .scale_h = scale_h, .scale_w = scale_w};
    }
  }
  return NcnnBlob{graph_.resize(x.value, attrs), 3};
}

Result<NcnnBlob> NcnnGraphTranslator::pixel_shuffle(const NcnnLayer& layer, const NcnnBlob& x) {
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  int mode = layer.params.get_int(1, 0);
  if (mode != 0 && mode != 1) return unsupported("mode " + std::to_string(mode) + " is not supported");
  engine::ShuffleOrder order = mode == 0 ? engine::ShuffleOrder::kPytorch : engine::ShuffleOrder::kDepthToSpace;
  return NcnnBlob{graph_.pixel_shuffle(x.value, layer.params.get_int(0, 1), order), 3};
}

Result<NcnnBlob> NcnnGraphTranslator::concat(const NcnnLayer& layer, const std::vector<NcnnBlob>& xs) {
  std::vector<Value> values;
  for (const NcnnBlob& x : xs) {
    if (x.dims != xs[0].dims) return unsupported("inputs of different ranks");
    values.push_back(x.value);
  }
  UPRES_ASSIGN_OR_RETURN(int axis, engine_axis(layer, layer.params.get_int(0, 0), xs[0].dims));
  return NcnnBlob{graph_.concat(values, axis), xs[0].dims};
}

Result<std::vector<NcnnBlob>> NcnnGraphTranslator::slice(const NcnnLayer& layer, const NcnnBlob& x) {
  if (layer.params.has(2)) return unsupported("slice indices (param 2) are not supported");
  std::vector<int32_t> slices = layer.params.get_int_array(0);
  UPRES_ASSIGN_OR_RETURN(int axis, engine_axis(layer, layer.params.get_int(1, 0), x.dims));
  if (slices.size() != layer.outputs.size()) return corrupt("slices count differs from the output count");
  int64_t size = shape(x)[axis], start = 0;
  std::vector<NcnnBlob> outs;
  for (size_t i = 0; i < slices.size(); ++i) {
    int64_t length = slices[i] == kOpen ? (size - start) / static_cast<int64_t>(slices.size() - i) : slices[i];
    if (length < 1 || start + length > size) return invalid_argument("slices do not fit axis size " + std::to_string(size));
    outs.push_back(NcnnBlob{graph_.slice(x.value, axis, start, start + length), x.dims});
    start += length;
  }
  return outs;
}

Result<NcnnBlob> NcnnGraphTranslator::padding(const NcnnLayer& layer, const NcnnBlob& x) {
  const weights::NcnnParamDict& p = layer.params;
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  if (p.get_int(6, 0) != 0 || p.get_int(7, 0) != 0 || p.get_int(8, 0) != 0) {
    return unsupported("channel padding and per-channel pad values are not supported");
  }
  engine::PadAttrs attrs{.left = p.get_int(2, 0), .right = p.get_int(3, 0), .top = p.get_int(0, 0),
                         .bottom = p.get_int(1, 0), .value = p.get_float(5, 0.0f)};
  int type = p.get_int(4, 0);
  if (type == 0) attrs.mode = engine::PadMode::kZero;
  else if (type == 1) attrs.mode = engine::PadMode::kReplicate;
  else if (type == 2) attrs.mode = engine::PadMode::kReflect;
  else return unsupported("padding type " + std::to_string(type) + " is not supported");
  return NcnnBlob{graph_.pad(x.value, attrs), 3};
}

Result<NcnnBlob> NcnnGraphTranslator::pooling(const NcnnLayer& layer, const NcnnBlob& x) {
  const weights::NcnnParamDict& p = layer.params;
  if (x.dims != 3) return unsupported("input must be a [c, h, w] blob");
  int type = p.get_int(0, 0);
  if (type != 0 && type != 1) return unsupported("pooling_type " + std::to_string(type) + " is not supported");
  const Shape& in = shape(x);
  if (p.get_int(7, 0) != 0) return unsupported("adaptive pooling is not supported");
  if (p.get_int(4, 0) != 0) {  // global: a 1-D blob of length c
    Value v;
    if (type == 1) {
      const size_t index = static_cast<size_t>(global_means_seen_++);
      if (means_ != nullptr && index < means_->supplied.size()) {
        v = means_->supplied[index];  // a whole-image mean computed over all tiles
        if (graph_.shape(v) != Shape{1, in[1], 1, 1}) return invalid_argument("supplied mean has the wrong shape");
      } else {
        if (means_ != nullptr && static_cast<int>(index) == means_->stop_at) stopped_at_ = x.value;
        v = graph_.global_avg_pool(x.value);
      }
    } else {
      v = graph_.max_pool2d(x.value, {.kernel = engine::Int2(static_cast<int>(in[2]), static_cast<int>(in[3]))});
    }
    return NcnnBlob{graph_.reshape(v, {1, in[1]}), 1};
  }
  int kw = p.get_int(1, 0), sw = p.get_int(2, 1), pl = p.get_int(3, 0);
  int kh = p.get_int(11, kw), sh = p.get_int(12, sw), pr = p.get_int(14, pl), pt = p.get_int(13, pl), pb = p.get_int(15, pt);
  int pad_mode = p.get_int(5, 0);
  if (kw < 1 || kh < 1 || sw < 1 || sh < 1) return corrupt("kernel and stride must be >= 1");
  // Full padding (mode 0) pads the tail so the last window fits; upres maps it only when no tail
  // is needed, where it equals valid padding.
  bool exact = (in[3] + pl + pr - kw) % sw == 0 && (in[2] + pt + pb - kh) % sh == 0;
  if (pl != pr || pt != pb || pl < 0 || pt < 0 || !(pad_mode == 1 || (pad_mode == 0 && exact))) {
    return unsupported("asymmetric, SAME or tail pooling padding is not supported");
  }
  engine::Pool2dAttrs attrs{.kernel = engine::Int2(kh, kw), .stride = engine::Int2(sh, sw),
                            .padding = engine::Int2(pt, pl), .count_include_pad = p.get_int(6, 0) != 0};
  return NcnnBlob{type == 1 ? graph_.avg_pool2d(x.value, attrs) : graph_.max_pool2d(x.value, attrs), 3};
}

}  // namespace upres::models
