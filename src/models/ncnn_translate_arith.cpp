// NcnnGraphTranslator: elementwise arithmetic (BinaryOp, Eltwise, ReLU, Sigmoid, TanH, UnaryOp,
// Dropout/Noop) with ncnn's broadcast rule for 1-D operands (ncnn src/layer/binaryop.cpp).
#include <vector>

#include "models/ncnn_graph_translator.h"

namespace upres::models {
namespace {

using engine::Value;
using weights::NcnnLayer;

// ncnn BinaryOp op_type values.
enum BinaryOpType { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kRsub = 7 };
// ncnn UnaryOp op_type values upres maps.
enum UnaryOpType { kNeg = 1, kSquare = 4, kTanh = 16 };

}  // namespace

Result<Value> NcnnGraphTranslator::broadcast_operand(const NcnnBlob& a, const NcnnBlob& b) {
  if (a.dims == b.dims) return b.value;  // same rank: engine (numpy) broadcasting
  if (a.dims == 3 && b.dims == 1) {
    int64_t length = shape(b)[1];
    bool per_channel = length == shape(a)[1];
    return graph_.reshape(b.value, per_channel ? engine::Shape{1, length, 1, 1} : engine::Shape{1, 1, 1, length});
  }
  return unsupported("broadcasting a " + std::to_string(b.dims) + "-d blob against a " +
                     std::to_string(a.dims) + "-d blob is not supported");
}

Result<NcnnBlob> NcnnGraphTranslator::binary_op(const NcnnLayer& layer, const std::vector<NcnnBlob>& xs) {
  int op = layer.params.get_int(0, kAdd);
  const NcnnBlob& x = xs[0];
  if (layer.params.get_int(1, 0) != 0 || xs.size() == 1) {  // with_scalar: x op b
    float b = layer.params.get_float(2, 0.0f);
    switch (op) {
      case kAdd: return NcnnBlob{graph_.scale(x.value, 1.0f, b), x.dims};
      case kSub: return NcnnBlob{graph_.scale(x.value, 1.0f, -b), x.dims};
      case kMul: return NcnnBlob{graph_.scale(x.value, b), x.dims};
      case kDiv:
        if (b == 0.0f) return unsupported("division by the scalar 0");
        return NcnnBlob{graph_.scale(x.value, 1.0f / b), x.dims};
      case kRsub: return NcnnBlob{graph_.scale(x.value, -1.0f, b), x.dims};
      default: return unsupported("BinaryOp op_type " + std::to_string(op) + " with a scalar is not supported");
    }
  }
  if (xs.size() != 2) return corrupt("BinaryOp needs one or two inputs");
  // The result has the higher rank; the other operand is broadcast against it.
  bool first_is_big = xs[0].dims >= xs[1].dims;
  const NcnnBlob& big = first_is_big ? xs[0] : xs[1];
  const NcnnBlob& small = first_is_big ? xs[1] : xs[0];
  UPRES_ASSIGN_OR_RETURN(Value broadcast, broadcast_operand(big, small));
  Value a = first_is_big ? big.value : broadcast;
  Value b = first_is_big ? broadcast : big.value;
  switch (op) {
    case kAdd: return NcnnBlob{graph_.add(a, b), big.dims};
    case kSub: return NcnnBlob{graph_.add(a, graph_.scale(b, -1.0f)), big.dims};
    case kMul: return NcnnBlob{graph_.mul(a, b), big.dims};
    case kRsub: return NcnnBlob{graph_.add(b, graph_.scale(a, -1.0f)), big.dims};
    default: return unsupported("BinaryOp op_type " + std::to_string(op) + " is not supported");
  }
}

Result<NcnnBlob> NcnnGraphTranslator::eltwise(const NcnnLayer& layer, const std::vector<NcnnBlob>& xs) {
  int op = layer.params.get_int(0, 1);
  std::vector<float> coeffs = layer.params.get_float_array(1);
  for (const NcnnBlob& x : xs) {
    if (x.dims != xs[0].dims) return unsupported("inputs of different ranks");
  }
  if (op == 0) {  // product
    Value v = xs[0].value;
    for (size_t i = 1; i < xs.size(); ++i) v = graph_.mul(v, xs[i].value);
    return NcnnBlob{v, xs[0].dims};
  }
  if (op != 1) return unsupported("Eltwise op_type " + std::to_string(op) + " is not supported");
  if (!coeffs.empty() && coeffs.size() != xs.size()) {
    return corrupt(std::to_string(coeffs.size()) + " coefficients for " + std::to_string(xs.size()) + " inputs");
  }
  Value sum;
  for (size_t i = 0; i < xs.size(); ++i) {  // sum_i coeffs[i] * x_i
    Value term = xs[i].value;
    if (!coeffs.empty() && coeffs[i] != 1.0f) term = graph_.scale(term, coeffs[i]);
    sum = i == 0 ? term : graph_.add(sum, term);
  }
  return NcnnBlob{sum, xs[0].dims};
}

Result<NcnnBlob> NcnnGraphTranslator::unary(const NcnnLayer& layer, const NcnnBlob& x) {
  const std::string& t = layer.type;
  if (t == "ReLU") {
    float slope = layer.params.get_float(0, 0.0f);
    return NcnnBlob{slope == 0.0f ? graph_.relu(x.value) : graph_.leaky_relu(x.value, slope), x.dims};
  }
  if (t == "Sigmoid") return NcnnBlob{graph_.sigmoid(x.value), x.dims};
  if (t == "TanH") return NcnnBlob{graph_.tanh(x.value), x.dims};
  if (t == "Noop") return x;
  if (t == "Dropout") {  // inference: y = x * scale (param 0, default 1)
    float s = layer.params.get_float(0, 1.0f);
    return s == 1.0f ? x : NcnnBlob{graph_.scale(x.value, s), x.dims};
  }
  int op = layer.params.get_int(0, 0);
  switch (op) {
    case kNeg: return NcnnBlob{graph_.scale(x.value, -1.0f), x.dims};
    case kSquare: return NcnnBlob{graph_.mul(x.value, x.value), x.dims};
    case kTanh: return NcnnBlob{graph_.tanh(x.value), x.dims};
    default: return unsupported("UnaryOp op_type " + std::to_string(op) + " is not supported");
  }
}

}  // namespace upres::models
