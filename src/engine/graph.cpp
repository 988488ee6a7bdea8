// Graph building (sticky first error), rewriting helpers for passes, and validation.
#include "engine/graph.h"

#include <algorithm>
#include <utility>

namespace upres::engine {

Value Graph::new_value(const Shape& shape, DType dtype, int32_t producer) {
  values_.push_back(ValueInfo{shape, dtype, producer});
  return Value{static_cast<int32_t>(values_.size() - 1)};
}

Value Graph::fail(Status status) {
  if (status_.is_ok()) status_ = std::move(status);
  return Value{};
}

Value Graph::input(std::string name, const Shape& shape, DType dtype) {
  for (int64_t dim : shape) {
    if (dim <= 0) return fail(invalid_argument("graph input " + name + ": shape " + shape_to_string(shape)));
  }
  if (!is_tensor_dtype(dtype)) return fail(unsupported("graph input " + name + ": dtype"));
  Value value = new_value(shape, dtype, -1);
  inputs_.push_back(value);
  input_names_.push_back(std::move(name));
  return value;
}

void Graph::mark_output(Value value) {
  if (!value.is_valid() || value.id >= static_cast<int32_t>(values_.size())) {
    fail(invalid_argument("mark_output: invalid value (an earlier op failed?)"));
    return;
  }
  outputs_.push_back(value);
}

Value Graph::add_node(OpKind kind, OpAttrs attrs, std::vector<Value> inputs,
                      std::vector<Tensor> constants, std::string name) {
  std::string where = std::string(op_kind_name(kind)) + (name.empty() ? "" : " '" + name + "'");
  std::vector<Shape> shapes;
  for (Value input : inputs) {
    if (!input.is_valid() || input.id >= static_cast<int32_t>(values_.size())) {
      return fail(invalid_argument(where + ": invalid input value (an earlier op failed?)"));
    }
    shapes.push_back(values_[static_cast<size_t>(input.id)].shape);
  }
  for (const Tensor& tensor : constants) {
    if (tensor.is_defined() && tensor.layout() != Layout::kNchw) {
      return fail(invalid_argument(where + ": constants must have kNchw layout"));
    }
  }
  Node node{kind, std::move(attrs), std::move(inputs), std::move(constants), Value{}, std::move(name)};
  Result<Shape> shape = infer_shape(node, shapes);
  if (!shape.is_ok()) return fail(shape.status().with_context(where));
  DType dtype = node.inputs.empty() ? node.constants[0].dtype() : info(node.inputs[0]).dtype;
  node.output = new_value(*shape, dtype, static_cast<int32_t>(nodes_.size()));
  nodes_.push_back(std::move(node));
  return nodes_.back().output;
}

Value Graph::named(Value value, std::string name) {
  if (value.is_valid() && info(value).producer >= 0) {
    nodes_[static_cast<size_t>(info(value).producer)].name = std::move(name);
  }
  return value;
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> counts(values_.size(), 0);
  for (const Node& node : nodes_) {
    for (Value input : node.inputs) ++counts[static_cast<size_t>(input.id)];
  }
  for (Value output : outputs_) ++counts[static_cast<size_t>(output.id)];
  return counts;
}

Result<Graph> Graph::with_input_shapes(const std::vector<Shape>& shapes) const {
  UPRES_RETURN_IF_ERROR(status_);
  if (shapes.size() != inputs_.size()) {
    return invalid_argument("with_input_shapes: " + std::to_string(shapes.size()) + " shapes for " +
                            std::to_string(inputs_.size()) + " inputs");
  }
  Graph copy = *this;
  for (size_t i = 0; i < shapes.size(); ++i) {
    for (int64_t dim : shapes[i]) {
      if (dim <= 0) return invalid_argument("graph input " + input_names_[i] + ": shape " + shape_to_string(shapes[i]));
    }
    copy.values_[static_cast<size_t>(inputs_[i].id)].shape = shapes[i];
  }
  for (const Node& node : copy.nodes_) {
    std::vector<Shape> input_shapes;
    for (Value input : node.inputs) input_shapes.push_back(copy.shape(input));
    Result<Shape> shape = infer_shape(node, input_shapes);
    if (!shape.is_ok()) {
      return shape.status().with_context(std::string(op_kind_name(node.kind)) + " '" + node.name + "'");
    }
    copy.values_[static_cast<size_t>(node.output.id)].shape = *shape;
  }
  return copy;
}

void Graph::replace_uses(Value from, Value to) {
  for (Node& node : nodes_) {
    for (Value& input : node.inputs) {
      if (input == from) input = to;
    }
  }
  for (Value& output : outputs_) {
    if (output == from) output = to;
  }
}

void Graph::remove_dead_nodes() {
  std::vector<bool> live(values_.size(), false);
  for (Value output : outputs_) live[static_cast<size_t>(output.id)] = true;
  std::vector<bool> keep(nodes_.size(), false);
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (!live[static_cast<size_t>(nodes_[i].output.id)]) continue;
    keep[i] = true;
    for (Value input : nodes_[i].inputs) live[static_cast<size_t>(input.id)] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(nodes_[i]));
  }
  nodes_ = std::move(kept);
  for (ValueInfo& value : values_) {
    if (value.producer >= 0) value.producer = -2;  // orphan until re-linked below
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    values_[static_cast<size_t>(nodes_[i].output.id)].producer = static_cast<int32_t>(i);
  }
}

Status Graph::validate() const {
  UPRES_RETURN_IF_ERROR(status_);
  std::vector<bool> defined(values_.size(), false);
  for (Value input : inputs_) defined[static_cast<size_t>(input.id)] = true;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = nodes_[i];
    std::string where = "node " + std::to_string(i) + " " + std::string(op_kind_name(node.kind)) +
                        (node.name.empty() ? "" : " '" + node.name + "'");
    std::vector<Shape> shapes;
    for (Value input : node.inputs) {
      if (!input.is_valid() || input.id >= static_cast<int32_t>(values_.size()) ||
          !defined[static_cast<size_t>(input.id)]) {
        return internal_error(where + ": reads a value not defined before it");
      }
      shapes.push_back(shape(input));
    }
    Result<Shape> shape_result = infer_shape(node, shapes);
    if (!shape_result.is_ok()) return shape_result.status().with_context(where);
    if (*shape_result != shape(node.output)) {
      return internal_error(where + ": recorded shape " + shape_to_string(shape(node.output)) +
                            " but inferred " + shape_to_string(*shape_result));
    }
    if (info(node.output).producer != static_cast<int32_t>(i)) {
      return internal_error(where + ": output's producer index is stale");
    }
    defined[static_cast<size_t>(node.output.id)] = true;
  }
  for (Value output : outputs_) {
    if (!defined[static_cast<size_t>(output.id)]) return internal_error("graph output is not defined");
  }
  return Status::ok();
}

}  // namespace upres::engine
