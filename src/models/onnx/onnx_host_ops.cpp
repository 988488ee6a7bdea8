// Host evaluation of shape arithmetic on small ONNX constants.
#include "models/onnx/onnx_host_ops.h"

#include <algorithm>
#include <cmath>

namespace upres::models {
namespace {

std::vector<int64_t> strides_of(const engine::Shape& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * dims[static_cast<size_t>(i) + 1];
  }
  return s;
}

Result<int64_t> bounded_numel(const engine::Shape& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return invalid_argument("negative dimension in a folded constant");
    if (d > 0 && n > kOnnxMaxFoldedElements / d) {
      return unsupported("a folded constant would exceed " + std::to_string(kOnnxMaxFoldedElements) + " elements");
    }
    n *= d;
  }
  return n;
}

// Flat index into a tensor of `dims` (right-aligned against `out_index`, broadcasting dims of 1).
int64_t broadcast_index(const std::vector<int64_t>& out_index, const engine::Shape& dims,
                        const std::vector<int64_t>& strides) {
  const size_t offset = out_index.size() - dims.size();
  int64_t flat = 0;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] != 1) flat += out_index[offset + d] * strides[d];
  }
  return flat;
}

void advance(std::vector<int64_t>& index, const engine::Shape& dims) {
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    if (++index[static_cast<size_t>(d)] < dims[static_cast<size_t>(d)]) return;
    index[static_cast<size_t>(d)] = 0;
  }
}

}  // namespace

std::vector<int64_t> host_ints(const OnnxHostTensor& x) {
  std::vector<int64_t> out;
  out.reserve(x.values.size());
  constexpr double kLimit = 4.0e18;  // saturate: an int64 cast of a larger double is undefined
  for (double v : x.values) out.push_back(std::isfinite(v) ? static_cast<int64_t>(std::clamp(v, -kLimit, kLimit)) : 0);
  return out;
}

Result<OnnxHostTensor> host_binary(const OnnxHostTensor& a, const OnnxHostTensor& b,
                                   const std::function<double(double, double)>& op) {
  UPRES_ASSIGN_OR_RETURN(engine::Shape dims, engine::broadcast_shapes(a.dims, b.dims));
  UPRES_ASSIGN_OR_RETURN(int64_t n, bounded_numel(dims));
  OnnxHostTensor out{dims, a.is_float || b.is_float, {}};
  out.values.resize(static_cast<size_t>(n));
  const auto sa = strides_of(a.dims), sb = strides_of(b.dims);
  std::vector<int64_t> index(dims.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    double r = op(a.values[static_cast<size_t>(broadcast_index(index, a.dims, sa))],
                  b.values[static_cast<size_t>(broadcast_index(index, b.dims, sb))]);
    out.values[static_cast<size_t>(i)] = out.is_float ? r : std::trunc(r);
    advance(index, dims);
  }
  return out;
}

OnnxHostTensor host_unary(const OnnxHostTensor& x, const std::function<double(double)>& op) {
  OnnxHostTensor out = x;
  for (double& v : out.values) v = op(v);
  return out;
}

Result<OnnxHostTensor> host_gather(const OnnxHostTensor& data, const OnnxHostTensor& indices, int64_t axis) {
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_argument("Gather axis out of range");
  engine::Shape dims(data.dims.begin(), data.dims.begin() + axis);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  UPRES_ASSIGN_OR_RETURN(int64_t n, bounded_numel(dims));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data.dims[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= data.dims[static_cast<size_t>(d)];
  const int64_t extent = data.dims[static_cast<size_t>(axis)];
  OnnxHostTensor out{dims, data.is_float, {}};
  out.values.reserve(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o) {
    for (double raw : indices.values) {
      auto idx = static_cast<int64_t>(raw);
      if (idx < 0) idx += extent;
      if (idx < 0 || idx >= extent) return invalid_argument("Gather index " + std::to_string(raw) + " out of range");
      for (int64_t i = 0; i < inner; ++i) {
        out.values.push_back(data.values[static_cast<size_t>((o * extent + idx) * inner + i)]);
      }
    }
  }
  return out;
}

std::pair<int64_t, int64_t> clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim <= 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  return {start, end};
}

Result<OnnxHostTensor> host_slice(const OnnxHostTensor& x, const std::vector<int64_t>& axes,
                                  const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                  const std::vector<int64_t>& steps) {
  const size_t rank = x.dims.size();
  std::vector<int64_t> begin(rank, 0), step(rank, 1);
  engine::Shape dims = x.dims;
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(axes[i]);
    auto [s, e] = clamp_slice(starts[i], ends[i], steps[i], x.dims[a]);
    begin[a] = s;
    step[a] = steps[i];
    dims[a] = steps[i] > 0 ? std::max<int64_t>(0, (e - s + steps[i] - 1) / steps[i])
                           : std::max<int64_t>(0, (s - e - steps[i] - 1) / -steps[i]);
  }
  UPRES_ASSIGN_OR_RETURN(int64_t n, bounded_numel(dims));
  OnnxHostTensor out{dims, x.is_float, {}};
  out.values.reserve(static_cast<size_t>(n));
  const auto strides = strides_of(x.dims);
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t flat = 0;
    for (size_t d = 0; d < rank; ++d) flat += (begin[d] + index[d] * step[d]) * strides[d];
    out.values.push_back(x.values[static_cast<size_t>(flat)]);
    advance(index, dims);
  }
  return out;
}

Result<OnnxHostTensor> host_concat(const std::vector<OnnxHostTensor>& xs, int64_t axis) {
  if (xs.empty()) return invalid_argument("Concat of nothing");
  const int64_t rank = static_cast<int64_t>(xs[0].dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_argument("Concat axis out of range");
  engine::Shape dims = xs[0].dims;
  dims[static_cast<size_t>(axis)] = 0;
  bool is_float = false;
  for (const auto& x : xs) {
    if (static_cast<int64_t>(x.dims.size()) != rank) return invalid_argument("Concat inputs differ in rank");
    dims[static_cast<size_t>(axis)] += x.dims[static_cast<size_t>(axis)];
    is_float = is_float || x.is_float;
  }
  UPRES_ASSIGN_OR_RETURN(int64_t n, bounded_numel(dims));
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dims[static_cast<size_t>(d)];
  OnnxHostTensor out{dims, is_float, {}};
  out.values.reserve(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o) {
    for (const auto& x : xs) {
      const int64_t chunk = outer > 0 ? x.numel() / outer : 0;
      out.values.insert(out.values.end(), x.values.begin() + o * chunk, x.values.begin() + (o + 1) * chunk);
    }
  }
  return out;
}

Result<OnnxHostTensor> host_transpose(const OnnxHostTensor& x, const std::vector<int64_t>& perm) {
  const size_t rank = x.dims.size();
  if (perm.size() != rank) return invalid_argument("Transpose perm does not match the rank");
  engine::Shape dims(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(rank)) return invalid_argument("Transpose perm out of range");
    dims[i] = x.dims[static_cast<size_t>(perm[i])];
  }
  const auto strides = strides_of(x.dims);
  OnnxHostTensor out{dims, x.is_float, {}};
  out.values.reserve(x.values.size());
  std::vector<int64_t> index(rank, 0);
  for (size_t i = 0; i < x.values.size(); ++i) {
    int64_t flat = 0;
    for (size_t d = 0; d < rank; ++d) flat += index[d] * strides[static_cast<size_t>(perm[d])];
    out.values.push_back(x.values[static_cast<size_t>(flat)]);
    advance(index, dims);
  }
  return out;
}

Result<OnnxHostTensor> host_expand(const OnnxHostTensor& x, const engine::Shape& shape) {
  OnnxHostTensor ones{shape, false, {}};
  UPRES_ASSIGN_OR_RETURN(int64_t n, bounded_numel(shape));
  ones.values.assign(static_cast<size_t>(n), 0.0);
  auto out = host_binary(x, ones, [](double a, double) { return a; });
  if (out.is_ok()) out->is_float = x.is_float;
  return out;
}

Result<OnnxHostTensor> host_where(const OnnxHostTensor& cond, const OnnxHostTensor& a, const OnnxHostTensor& b) {
  // Encode (cond, a) pairs through two broadcasts: first pick a where cond, NaN elsewhere.
  UPRES_ASSIGN_OR_RETURN(OnnxHostTensor picked,
                         host_binary(cond, a, [](double c, double v) { return c != 0 ? v : std::nan(""); }));
  picked.is_float = true;
  UPRES_ASSIGN_OR_RETURN(OnnxHostTensor out,
                         host_binary(picked, b, [](double p, double v) { return std::isnan(p) ? v : p; }));
  out.is_float = a.is_float || b.is_float;
  return out;
}

Result<engine::Shape> onnx_reshape_target(const engine::Shape& in, const std::vector<int64_t>& target,
                                          bool allow_zero) {
  engine::Shape out(target.begin(), target.end());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] > (int64_t{1} << 31)) return invalid_argument("Reshape dim " + std::to_string(out[i]) + " is too large");
    if (out[i] == 0 && !allow_zero) {
      if (i >= in.size()) return invalid_argument("Reshape copies dim " + std::to_string(i) + " the input lacks");
      out[i] = in[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) return invalid_argument("Reshape has two -1 dims");
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      return invalid_argument("Reshape has a negative dim");
    } else {
      known *= out[i];
    }
  }
  const int64_t total = engine::shape_numel(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return invalid_argument("Reshape cannot infer the -1 dim");
    out[static_cast<size_t>(infer)] = total / known;
  }
  if (engine::shape_numel(out) != total) {
    return invalid_argument("Reshape of " + engine::shape_to_string(in) + " to " + engine::shape_to_string(out));
  }
  return out;
}

}  // namespace upres::models
