// read_onnx: protobuf parse, then conversion to OnnxGraph with every size and edge checked.
#include "weights/onnx_reader.h"

#include <climits>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "weights/onnx.pb.h"
#include "weights/onnx_tensor_decode.h"

namespace upres::weights {
namespace {

namespace pb = onnx_proto;

Result<OnnxAttribute> convert_attribute(const pb::AttributeProto& proto, const std::string& node_context) {
  OnnxAttribute out;
  out.name = proto.name();
  const std::string what = node_context + " attribute '" + proto.name() + "'";
  if (proto.floats_size() > kOnnxMaxAttributeValues || proto.ints_size() > kOnnxMaxAttributeValues ||
      proto.strings_size() > kOnnxMaxAttributeValues) {
    return corrupt(what + " has more than " + std::to_string(kOnnxMaxAttributeValues) + " values");
  }
  switch (proto.type()) {
    case pb::AttributeProto::FLOAT: out.type = OnnxAttributeType::kFloat; out.f = proto.f(); break;
    case pb::AttributeProto::INT: out.type = OnnxAttributeType::kInt; out.i = proto.i(); break;
    case pb::AttributeProto::STRING: out.type = OnnxAttributeType::kString; out.s = proto.s(); break;
    case pb::AttributeProto::TENSOR: {
      auto tensor = decode_onnx_tensor(proto.t());
      if (!tensor.is_ok()) return tensor.status().with_context(what);
      out.type = OnnxAttributeType::kTensor;
      out.t = std::make_shared<const OnnxTensor>(std::move(*tensor));
      break;
    }
    case pb::AttributeProto::FLOATS:
      out.type = OnnxAttributeType::kFloats;
      out.floats.assign(proto.floats().begin(), proto.floats().end());
      break;
    case pb::AttributeProto::INTS:
      out.type = OnnxAttributeType::kInts;
      out.ints.assign(proto.ints().begin(), proto.ints().end());
      break;
    case pb::AttributeProto::STRINGS:
      out.type = OnnxAttributeType::kStrings;
      out.strings.assign(proto.strings().begin(), proto.strings().end());
      break;
    default:
      out.type = OnnxAttributeType::kOther;  // graphs, sparse tensors, types: no supported op reads them
      break;
  }
  return out;
}

Result<OnnxNode> convert_node(const pb::NodeProto& proto, size_t index) {
  OnnxNode node;
  node.name = proto.name();
  if (node.name.empty()) node.name.append("#").append(std::to_string(index));  // unnamed: its position
  node.op_type = proto.op_type();
  node.domain = proto.domain();
  if (node.op_type.empty()) return corrupt(node.context() + " has no op_type");
  node.inputs.assign(proto.input().begin(), proto.input().end());
  node.outputs.assign(proto.output().begin(), proto.output().end());
  for (const pb::AttributeProto& a : proto.attribute()) {
    UPRES_ASSIGN_OR_RETURN(OnnxAttribute attribute, convert_attribute(a, node.context()));
    node.attributes.push_back(std::move(attribute));
  }
  return node;
}

OnnxValueInfo convert_value_info(const pb::ValueInfoProto& proto) {
  OnnxValueInfo info;
  info.name = proto.name();
  if (proto.has_type() && proto.type().has_tensor_type()) {
    const auto& tensor = proto.type().tensor_type();
    info.elem_type = tensor.elem_type();
    if (tensor.has_shape()) {
      info.has_shape = true;
      for (const auto& dim : tensor.shape().dim()) {
        info.dims.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
      }
    }
  }
  return info;
}

// Every node input must exist; outputs are unique; the nodes are reordered topologically (Kahn,
// lowest file index first, so an already sorted file keeps its order). Corrupt on a cycle.
Status sort_nodes(OnnxGraph& graph) {
  std::unordered_set<std::string> provided;
  for (const auto& [name, tensor] : graph.initializers) provided.insert(name);
  for (const OnnxValueInfo& in : graph.inputs) provided.insert(in.name);
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i].outputs) {
      if (out.empty()) continue;
      if (provided.count(out) != 0 || !producer.emplace(out, i).second) {
        return corrupt(graph.nodes[i].context() + " writes '" + out + "', which another node, input or initializer "
                       "already provides");
      }
    }
  }
  std::vector<std::vector<size_t>> readers(graph.nodes.size());
  std::vector<size_t> pending(graph.nodes.size(), 0);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    std::set<size_t> from;
    for (const std::string& in : graph.nodes[i].inputs) {
      if (in.empty() || provided.count(in) != 0) continue;
      auto it = producer.find(in);
      if (it == producer.end()) {
        return corrupt(graph.nodes[i].context() + " reads '" + in + "', which no node, graph input or initializer "
                       "provides");
      }
      from.insert(it->second);
    }
    pending[i] = from.size();
    for (size_t p : from) readers[p].push_back(i);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  order.reserve(graph.nodes.size());
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t r : readers[i]) {
      if (--pending[r] == 0) ready.push(r);
    }
  }
  if (order.size() != graph.nodes.size()) {
    for (size_t i = 0; i < pending.size(); ++i) {
      if (pending[i] != 0) return corrupt("the graph has a cycle through " + graph.nodes[i].context());
    }
  }
  std::vector<OnnxNode> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
  for (const OnnxValueInfo& out : graph.outputs) {
    if (provided.count(out.name) == 0 && producer.count(out.name) == 0) {
      return corrupt("graph output '" + out.name + "' is not produced by any node");
    }
  }
  return Status::ok();
}

Result<OnnxGraph> convert_model(const pb::ModelProto& model) {
  if (!model.has_graph()) return corrupt("no graph (not an ONNX model file?)");
  const pb::GraphProto& g = model.graph();
  if (g.node_size() > kOnnxMaxNodes) {
    return unsupported("the graph has " + std::to_string(g.node_size()) + " nodes (limit " +
                       std::to_string(kOnnxMaxNodes) + ")");
  }
  if (g.initializer_size() > kOnnxMaxInitializers) {
    return unsupported("the graph has " + std::to_string(g.initializer_size()) + " initializers (limit " +
                       std::to_string(kOnnxMaxInitializers) + ")");
  }
  OnnxGraph graph;
  graph.producer = model.producer_name();
  for (const pb::OperatorSetIdProto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") graph.opset = opset.version();
  }
  for (const pb::TensorProto& proto : g.initializer()) {
    UPRES_ASSIGN_OR_RETURN(OnnxTensor tensor, decode_onnx_tensor(proto));
    if (tensor.name.empty()) return corrupt("an initializer has no name");
    std::string name = tensor.name;
    if (!graph.initializers.emplace(name, std::move(tensor)).second) {
      return corrupt("initializer '" + name + "' appears twice");
    }
  }
  for (const pb::ValueInfoProto& in : g.input()) {
    if (graph.initializers.count(in.name()) == 0) graph.inputs.push_back(convert_value_info(in));
  }
  for (const pb::ValueInfoProto& out : g.output()) graph.outputs.push_back(convert_value_info(out));
  if (graph.outputs.empty()) return corrupt("the graph has no outputs");
  graph.nodes.reserve(static_cast<size_t>(g.node_size()));
  for (int i = 0; i < g.node_size(); ++i) {
    UPRES_ASSIGN_OR_RETURN(OnnxNode node, convert_node(g.node(i), static_cast<size_t>(i)));
    graph.nodes.push_back(std::move(node));
  }
  UPRES_RETURN_IF_ERROR(sort_nodes(graph));
  return graph;
}

}  // namespace

Result<OnnxGraph> read_onnx(const ByteSource& source) {
  if (source.size() > static_cast<uint64_t>(INT_MAX)) {
    return unsupported(source.name() + ": ONNX files over 2 GiB keep their weights as external data, which upres "
                       "does not read");
  }
  pb::ModelProto model;
  if (!model.ParseFromArray(source.data(), static_cast<int>(source.size()))) {
    return corrupt(source.name() + ": not a valid ONNX protobuf (truncated or damaged file)");
  }
  auto graph = convert_model(model);
  if (!graph.is_ok()) {
    return Status(graph.status().code(), onnx_printable(graph.status().message())).with_context(source.name());
  }
  return graph;
}

Result<OnnxGraph> read_onnx_file(const std::filesystem::path& path) {
  UPRES_ASSIGN_OR_RETURN(auto source, ByteSource::map_file(path));
  return read_onnx(*source);
}

}  // namespace upres::weights
