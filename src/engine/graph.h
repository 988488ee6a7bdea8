// Graph: a DAG of ops built by model code through a PyTorch-like builder, with shapes inferred as
// it is built. Builder calls return a Value; the first error is kept in status() and later calls
// on an invalid Value are no-ops, so model code checks once at the end. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "engine/op.h"
#include "engine/tensor.h"

namespace upres::engine {

// A handle to a value (an edge of the graph). id indexes Graph::value_info().
struct Value {
  int32_t id = -1;
  bool is_valid() const { return id >= 0; }
  bool operator==(const Value&) const = default;
};

struct ValueInfo {
  Shape shape;
  DType dtype = DType::kF32;
  int32_t producer = -1;  // index into nodes(), -1 for graph inputs
};

struct Node {
  OpKind kind = OpKind::kConstant;
  OpAttrs attrs;
  std::vector<Value> inputs;       // runtime values, per-op order documented in op_kind.h
  std::vector<Tensor> constants;   // weights, per-op order documented in op_kind.h
  Value output;
  std::string name;                // e.g. "body.0.rdb1.conv1" (state-dict key), for messages
};

class Graph {
 public:
  // --- inputs and outputs ----------------------------------------------------------------
  Value input(std::string name, const Shape& shape, DType dtype = DType::kF32);
  void mark_output(Value value);

  // --- builder: one method per op, PyTorch argument order ----------------------------------
  Value constant(Tensor tensor);
  Value conv2d(Value x, Tensor weight, Tensor bias = {}, Conv2dAttrs attrs = {});
  Value conv_transpose2d(Value x, Tensor weight, Tensor bias = {}, ConvTranspose2dAttrs attrs = {});
  Value relu(Value x);
  Value leaky_relu(Value x, float negative_slope = 0.01f);
  Value prelu(Value x, Tensor slope);
  Value sigmoid(Value x);
  Value tanh(Value x);
  Value gelu(Value x, bool tanh_approximation = false);
  Value silu(Value x);
  Value mish(Value x);
  Value add(Value a, Value b);
  Value mul(Value a, Value b);
  Value scale(Value x, float scale, float shift = 0.0f);
  Value concat(const std::vector<Value>& xs, int axis = 1);
  Value slice(Value x, int axis, int64_t start, int64_t end);
  Value resize(Value x, ResizeAttrs attrs);
  Value pixel_shuffle(Value x, int factor, ShuffleOrder order = ShuffleOrder::kPytorch);
  Value pixel_unshuffle(Value x, int factor, ShuffleOrder order = ShuffleOrder::kPytorch);
  Value pad(Value x, PadAttrs attrs);
  Value avg_pool2d(Value x, Pool2dAttrs attrs);
  Value max_pool2d(Value x, Pool2dAttrs attrs);
  Value global_avg_pool(Value x);
  Value linear(Value x, Tensor weight, Tensor bias = {});
  Value matmul(Value a, Value b);
  Value layer_norm(Value x, Tensor weight, Tensor bias, LayerNormAttrs attrs = {});
  Value group_norm(Value x, Tensor weight, Tensor bias, GroupNormAttrs attrs);
  Value batch_norm(Value x, Tensor weight, Tensor bias, Tensor running_mean, Tensor running_var,
                   BatchNormAttrs attrs = {});
  Value softmax(Value x, int axis = -1);
  // F.normalize(x, dim=-1): x / max(||x||_2, eps) along the last dim (cosine attention's q and k).
  Value l2_normalize(Value x, float eps = 1e-12f);
  Value permute(Value x, std::vector<int> dims);
  Value reshape(Value x, Shape shape);
  // torch.fft.rfftn(x, dim=(-2, -1), norm="ortho") with real and imag stacked as LaMa's FourierUnit
  // does (stack(dim=-1).permute(0, 1, 4, 2, 3).view(N, -1, H, W/2+1)): channel 2c real, 2c+1 imag.
  Value rfft2(Value x);
  // The inverse: irfftn(complex(x[:, 0::2], x[:, 1::2]), s=(H, width), dim=(-2, -1), norm="ortho").
  Value irfft2(Value x, int64_t width);
  // Math for imported graphs: torch.sqrt / exp / ..., torch.sub / div / maximum / minimum, and
  // x.sum / mean / amax / amin / norm over axes (op.h: UnaryAttrs, BinaryAttrs, ReduceAttrs).
  Value unary(Value x, UnaryAttrs attrs);
  Value binary(Value a, Value b, BinaryOp op);
  Value reduce(Value x, ReduceAttrs attrs);

  // Generic form the builder methods use; also for importers. Infers the output shape; on
  // failure records the error (with `name`) and returns an invalid Value.
  Value add_node(OpKind kind, OpAttrs attrs, std::vector<Value> inputs,
                 std::vector<Tensor> constants, std::string name = {});
  // Names the node that produces `value` (for error messages and debugging). Returns value.
  Value named(Value value, std::string name);

  // --- inspection ---------------------------------------------------------------------------
  // The first build error, or OK.
  const Status& status() const { return status_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<ValueInfo>& value_info() const { return values_; }
  const ValueInfo& info(Value value) const { return values_.at(static_cast<size_t>(value.id)); }
  const Shape& shape(Value value) const { return info(value).shape; }
  const std::vector<Value>& inputs() const { return inputs_; }
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<Value>& outputs() const { return outputs_; }
  // Number of node inputs that read `value`, plus one per graph-output mention.
  std::vector<int> use_counts() const;

  // The same graph with new input shapes (e.g. another tile size), every shape re-inferred.
  Result<Graph> with_input_shapes(const std::vector<Shape>& shapes) const;

  // --- rewriting (for passes) ---------------------------------------------------------------
  // Mutable node access; a pass that edits attributes or inputs must keep shapes valid.
  std::vector<Node>& mutable_nodes() { return nodes_; }
  // Makes every use of `from` (node inputs and graph outputs) read `to` instead.
  // Requires: both have the same shape and dtype.
  void replace_uses(Value from, Value to);
  // Removes nodes whose output is neither a graph output nor read by a remaining node, and
  // renumbers producers. Values keep their ids.
  void remove_dead_nodes();
  // Checks topological order, input counts, and re-runs shape inference on every node.
  Status validate() const;

 private:
  Value new_value(const Shape& shape, DType dtype, int32_t producer);
  Value fail(Status status);

  std::vector<ValueInfo> values_;
  std::vector<Node> nodes_;
  std::vector<Value> inputs_;
  std::vector<std::string> input_names_;
  std::vector<Value> outputs_;
  Status status_;
};

// Output shape of `node` given its input shapes; the single source of shape rules.
Result<Shape> infer_shape(const Node& node, const std::vector<Shape>& input_shapes);

}  // namespace upres::engine
