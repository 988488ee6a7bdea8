// OnnxGraphTranslator: elementwise arithmetic and activations on run-time tensors. Scalar
// constants fold into Scale nodes; Sub, Div, Max and Min of run-time tensors become the engine's
// binary ops (a broadcast first operand as Add of a negation / Mul by a reciprocal, which the cpu
// backend runs on oneDNN); Pow by a constant exponent, Sqrt, Exp, Log, Abs, Reciprocal and Erf the
// engine's unary op. GELU's erf form is still recognised and becomes one gelu op; each step of
// the pattern also carries its plain value, used when the pattern does not complete.
#include <cmath>
#include <limits>
#include <optional>

#include "models/onnx/onnx_graph_translator.h"
#include "models/onnx/onnx_host_ops.h"

namespace upres::models {
namespace {

using Gelu = OnnxOperand::Gelu;

bool near(double a, double b) { return std::fabs(a - b) <= 1e-4 * std::fabs(b); }

// A host constant with one element and a rank no larger than `rank` (broadcasting keeps x's shape).
bool is_scalar_for(const OnnxOperand& op, size_t rank) {
  return !op.is_runtime() && op.has_host && op.host.numel() == 1 && op.host.dims.size() <= rank;
}

}  // namespace

Status OnnxGraphTranslator::binary(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* a, operand(node, 0));
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* b, operand(node, 1));
  const std::string& op = node.op_type;
  if (op == "Add" && (a->gelu == Gelu::kErf || b->gelu == Gelu::kErf)) {
    const OnnxOperand* erf = a->gelu == Gelu::kErf ? a : b;
    const OnnxOperand* one = erf == a ? b : a;
    if (one->has_host && one->host.numel() == 1 && one->host.values[0] == 1.0) {
      OnnxOperand out;
      out.gelu = Gelu::kErfPlusOne;
      out.gelu_of = erf->gelu_of;
      out.value = graph_.named(graph_.scale(erf->value, 1.0f, 1.0f), node.name);
      return set_operand(node, std::move(out));
    }
  }
  const bool a_rt = a->is_runtime(), b_rt = b->is_runtime();
  const size_t a_rank = a_rt ? graph_.shape(a->value).size() : 0, b_rank = b_rt ? graph_.shape(b->value).size() : 0;
  if (op == "Pow") {
    if (!a_rt || !is_scalar_for(*b, a_rank)) {
      return unsupported("Pow with a run-time or non-scalar exponent (only a run-time base to a scalar constant power)");
    }
    const double e = b->host.values[0];
    if (e == 1.0) return set_value(node, a->value);
    if (e == 2.0) return set_value(node, graph_.mul(a->value, a->value));
    if (e == 0.5) return set_value(node, graph_.unary(a->value, {.op = engine::UnaryOp::kSqrt}));
    return set_value(node, graph_.unary(a->value, {.op = engine::UnaryOp::kPow, .exponent = static_cast<float>(e)}));
  }
  if (op == "Div" && b_rt) {
    // c / x for a scalar c: c * (1 / x).
    if (is_scalar_for(*a, b_rank)) {
      engine::Value r = graph_.unary(b->value, {.op = engine::UnaryOp::kReciprocal});
      const auto c = static_cast<float>(a->host.values[0]);
      return set_value(node, c == 1.0f ? r : graph_.scale(r, c));
    }
    engine::Value va = as_runtime(*a);
    UPRES_ASSIGN_OR_RETURN(engine::Shape out, engine::broadcast_shapes(graph_.shape(va), graph_.shape(b->value)));
    if (graph_.shape(va) != out) {  // the dividend broadcasts: a * (1 / b), both on oneDNN
      return set_value(node, graph_.mul(va, graph_.unary(b->value, {.op = engine::UnaryOp::kReciprocal})));
    }
    return set_value(node, graph_.binary(va, b->value, engine::BinaryOp::kDiv));
  }
  if (op == "Div") {
    if (!a_rt) return unsupported("Div of a large constant");
    UPRES_ASSIGN_OR_RETURN(engine::Tensor divisor, weight_input(node, 1));
    std::vector<float> inverse = divisor.to_f32();
    for (float& v : inverse) v = 1.0f / v;
    if (is_scalar_for(*b, a_rank)) return set_value(node, graph_.scale(a->value, inverse[0]));
    UPRES_ASSIGN_OR_RETURN(engine::Tensor t, engine::Tensor::from_f32(inverse, divisor.shape()));
    return set_value(node, graph_.mul(a->value, graph_.constant(t)));
  }
  const float sign = op == "Sub" ? -1.0f : 1.0f;
  if (a_rt && is_scalar_for(*b, a_rank)) {
    return set_value(node, graph_.scale(a->value, 1.0f, sign * static_cast<float>(b->host.values[0])));
  }
  if (b_rt && is_scalar_for(*a, b_rank)) {
    return set_value(node, graph_.scale(b->value, sign, static_cast<float>(a->host.values[0])));
  }
  engine::Value va = as_runtime(*a);
  engine::Value vb = as_runtime(*b);
  if (op == "Sub") {
    UPRES_ASSIGN_OR_RETURN(engine::Shape out, engine::broadcast_shapes(graph_.shape(va), graph_.shape(vb)));
    if (a_rt && b_rt && graph_.shape(va) == out) return set_value(node, graph_.binary(va, vb, engine::BinaryOp::kSub));
    if (b_rt) {
      vb = graph_.scale(vb, -1.0f);
    } else {
      UPRES_ASSIGN_OR_RETURN(engine::Tensor c, weight_input(node, 1));
      std::vector<float> negated = c.to_f32();
      for (float& v : negated) v = -v;
      UPRES_ASSIGN_OR_RETURN(engine::Tensor t, engine::Tensor::from_f32(negated, c.shape()));
      vb = graph_.constant(t);
    }
  }
  return set_value(node, graph_.add(va, vb));
}

// Max / Min of one or more inputs: run-time operands pairwise with the engine's binary max/min,
// scalar constants as a clip (max(x, c) = clip(x, c, +big)).
Status OnnxGraphTranslator::max_min(const Node& node) {
  const bool is_max = node.op_type == "Max";
  std::optional<engine::Value> acc;
  std::vector<float> scalars;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!has_input(node, i)) continue;
    UPRES_ASSIGN_OR_RETURN(const OnnxOperand* in, operand(node, i));
    if (!in->is_runtime() && in->has_host && in->host.numel() == 1 && in->host.dims.size() <= 4) {
      scalars.push_back(static_cast<float>(in->host.values[0]));
      continue;
    }
    const engine::Value v = as_runtime(*in);
    acc = acc ? graph_.binary(*acc, v, is_max ? engine::BinaryOp::kMax : engine::BinaryOp::kMin) : v;
  }
  if (!acc) return invalid_argument(node.op_type + " has no run-time input");
  const float big = std::numeric_limits<float>::max();
  for (float c : scalars) {
    acc = graph_.unary(*acc, {.op = engine::UnaryOp::kClip, .lo = is_max ? c : -big, .hi = is_max ? big : c});
  }
  return set_value(node, *acc);
}

Status OnnxGraphTranslator::erf(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const engine::Value value = graph_.named(graph_.unary(x, {.op = engine::UnaryOp::kErf}), node.name);
  // The start of GELU when the input is x / sqrt(2) (Div) or x * (1 / sqrt(2)) (Mul).
  const Node* p = has_input(node, 0) ? producer(node.inputs[0]) : nullptr;
  if (p != nullptr && p->inputs.size() == 2 && (p->op_type == "Div" || p->op_type == "Mul")) {
    auto c = values_.find(p->inputs[1]);
    if (c != values_.end() && c->second.has_host && c->second.host.numel() == 1) {
      const double v = c->second.host.values[0];
      if ((p->op_type == "Div" && near(v, std::sqrt(2.0))) || (p->op_type == "Mul" && near(v, std::sqrt(0.5)))) {
        OnnxOperand out;
        out.gelu = Gelu::kErf;
        out.gelu_of = p->inputs[0];
        out.value = value;
        return set_operand(node, std::move(out));
      }
    }
  }
  OnnxOperand out;
  out.value = value;
  return set_operand(node, std::move(out));
}

Status OnnxGraphTranslator::mul(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* a, operand(node, 0));
  UPRES_ASSIGN_OR_RETURN(const OnnxOperand* b, operand(node, 1));
  // GELU: (x * (1 + erf)) * 0.5, or x * (1 + erf) first, or (0.5 * x) * (1 + erf).
  if (a->gelu != Gelu::kNone || b->gelu != Gelu::kNone) {
    const bool a_is = a->gelu != Gelu::kNone;
    const OnnxOperand* g = a_is ? a : b;
    const std::string& other = node.inputs[a_is ? 1 : 0];
    const OnnxOperand* o = a_is ? b : a;
    auto x = values_.find(g->gelu_of);
    if (x != values_.end() && x->second.is_runtime()) {
      if (g->gelu == Gelu::kErfPlusOne && other == g->gelu_of) {
        OnnxOperand out;
        out.gelu = Gelu::kTwiceGelu;
        out.gelu_of = g->gelu_of;
        out.value = graph_.named(graph_.mul(x->second.value, g->value), node.name);
        return set_operand(node, std::move(out));
      }
      if (g->gelu == Gelu::kTwiceGelu && o->has_host && o->host.numel() == 1 && o->host.values[0] == 0.5) {
        return set_value(node, graph_.gelu(x->second.value));
      }
      const Node* half = producer(other);
      if (g->gelu == Gelu::kErfPlusOne && half != nullptr && half->op_type == "Mul" && half->inputs.size() == 2) {
        for (size_t i = 0; i < 2; ++i) {
          auto c = values_.find(half->inputs[1 - i]);
          if (half->inputs[i] == g->gelu_of && c != values_.end() && c->second.has_host &&
              c->second.host.numel() == 1 && c->second.host.values[0] == 0.5) {
            return set_value(node, graph_.gelu(x->second.value));
          }
        }
      }
    }
    // Not GELU after all: the plain values below.
  }
  // SiLU: x * sigmoid(x).
  for (size_t i = 0; i < 2; ++i) {
    const Node* s = producer(node.inputs[i]);
    if (s != nullptr && s->op_type == "Sigmoid" && !s->inputs.empty() && s->inputs[0] == node.inputs[1 - i]) {
      UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 1 - i));
      return set_value(node, graph_.silu(x));
    }
  }
  const bool a_rt = a->is_runtime(), b_rt = b->is_runtime();
  if (a_rt && is_scalar_for(*b, graph_.shape(a->value).size())) {
    return set_value(node, graph_.scale(a->value, static_cast<float>(b->host.values[0])));
  }
  if (b_rt && is_scalar_for(*a, graph_.shape(b->value).size())) {
    return set_value(node, graph_.scale(b->value, static_cast<float>(a->host.values[0])));
  }
  return set_value(node, graph_.mul(as_runtime(*a), as_runtime(*b)));
}

// clamp(x, lo, hi) with relus: lo + relu(x - lo), then hi - relu(hi - y).
engine::Value OnnxGraphTranslator::clamp(engine::Value x, const double* lo, const double* hi) {
  if (lo != nullptr) {
    const auto l = static_cast<float>(*lo);
    x = l == 0.0f ? graph_.relu(x) : graph_.scale(graph_.relu(graph_.scale(x, 1.0f, -l)), 1.0f, l);
  }
  if (hi != nullptr) {
    const auto h = static_cast<float>(*hi);
    x = graph_.scale(graph_.relu(graph_.scale(x, -1.0f, h)), -1.0f, h);
  }
  return x;
}

Status OnnxGraphTranslator::clip(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  double lo = 0, hi = 0;
  bool has_lo = false, has_hi = false;
  if (const auto* a = node.attribute("min")) { lo = a->f; has_lo = true; }  // opset < 11
  if (const auto* a = node.attribute("max")) { hi = a->f; has_hi = true; }
  for (size_t i = 1; i <= 2; ++i) {
    if (!has_input(node, i)) continue;
    UPRES_ASSIGN_OR_RETURN(OnnxHostTensor v, host_input(node, i));
    if (v.numel() != 1) return unsupported("Clip bounds must be scalars");
    (i == 1 ? lo : hi) = v.values[0];
    (i == 1 ? has_lo : has_hi) = true;
  }
  return set_value(node, clamp(x, has_lo ? &lo : nullptr, has_hi ? &hi : nullptr));
}

Status OnnxGraphTranslator::unary(const Node& node) {
  UPRES_ASSIGN_OR_RETURN(engine::Value x, runtime_input(node, 0));
  const std::string& op = node.op_type;
  if (op == "Identity") return set_value(node, x);
  if (op == "Cast") {
    const int64_t to = onnx_int_attr(node, "to", 1);
    if (to != 1 && to != 10 && to != 11 && to != 16) {
      return unsupported("Cast of a run-time tensor to type " + std::to_string(to) + " (only between float types)");
    }
    return set_value(node, x);  // upres computes in fp32 throughout
  }
  if (op == "Relu") return set_value(node, graph_.relu(x));
  if (op == "LeakyRelu") return set_value(node, graph_.leaky_relu(x, onnx_float_attr(node, "alpha", 0.01f)));
  if (op == "Sigmoid") return set_value(node, graph_.sigmoid(x));
  if (op == "Tanh") return set_value(node, graph_.tanh(x));
  if (op == "Neg") return set_value(node, graph_.scale(x, -1.0f));
  static const std::pair<const char*, engine::UnaryOp> kMath[] = {
      {"Sqrt", engine::UnaryOp::kSqrt}, {"Exp", engine::UnaryOp::kExp}, {"Log", engine::UnaryOp::kLog},
      {"Abs", engine::UnaryOp::kAbs}, {"Reciprocal", engine::UnaryOp::kReciprocal}};
  for (const auto& [name, math] : kMath) {
    if (op == name) return set_value(node, graph_.unary(x, {.op = math}));
  }
  if (op == "Gelu") {
    const std::string approx = onnx_string_attr(node, "approximate", "none");
    if (approx != "none" && approx != "tanh") return unsupported("Gelu approximate='" + approx + "'");
    return set_value(node, graph_.gelu(x, approx == "tanh"));
  }
  // HardSigmoid: clamp(alpha * x + beta, 0, 1); HardSwish: x * HardSigmoid(x) with 1/6, 1/2.
  const bool swish = op == "HardSwish";
  const float alpha = swish ? 1.0f / 6.0f : onnx_float_attr(node, "alpha", 0.2f);
  const float beta = swish ? 0.5f : onnx_float_attr(node, "beta", 0.5f);
  const double lo = 0.0, hi = 1.0;
  engine::Value hs = clamp(graph_.scale(x, alpha, beta), &lo, &hi);
  return set_value(node, swish ? graph_.mul(x, hs) : hs);
}

}  // namespace upres::models
