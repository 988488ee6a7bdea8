// Loading fixture cases, building their graphs, running the fixture scripts.
#include "op_case.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "op_case_attrs.h"

namespace upres::engine::testing {
namespace {

using nlohmann::json;

TensorFile tensor_file(const json& entry) {
  return TensorFile{entry["file"].get<std::string>(), entry["shape"].get<Shape>(), entry.value("constant", false)};
}

}  // namespace

Result<std::vector<OpCase>> load_op_cases(const std::string& dir) {
  std::ifstream in(dir + "/manifest.json");
  if (!in) return not_found(dir + "/manifest.json");
  json manifest = json::parse(in, nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("cases")) return corrupt(dir + "/manifest.json: not a manifest");
  std::vector<OpCase> cases;
  for (const json& c : manifest["cases"]) {
    OpCase op_case{c["name"], c["op"], c["attrs"], {}, {}, tensor_file(c["output"]), c.value("tolerance", 1e-5)};
    for (const json& entry : c["inputs"]) op_case.inputs.push_back(tensor_file(entry));
    for (const json& entry : c["constants"]) {
      op_case.constants.push_back(entry.is_null() ? std::nullopt : std::optional<TensorFile>(tensor_file(entry)));
    }
    cases.push_back(std::move(op_case));
  }
  return cases;
}

Result<Tensor> read_tensor(const std::string& dir, const TensorFile& file) {
  std::string path = dir + "/" + file.file;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return not_found(path);
  const auto bytes = static_cast<int64_t>(in.tellg());
  if (bytes != shape_numel(file.shape) * 4) {
    return corrupt(path + ": " + std::to_string(bytes) + " bytes for shape " + shape_to_string(file.shape));
  }
  std::vector<float> values(static_cast<size_t>(shape_numel(file.shape)));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(values.data()), bytes);
  return Tensor::from_f32(values, file.shape);
}

Result<BuiltCase> build_case(const std::string& dir, const OpCase& op_case, DType weight_dtype) {
  std::optional<OpKind> kind = op_kind_from_name(op_case.op);
  if (!kind) return not_found("op '" + op_case.op + "' in case " + op_case.name);
  UPRES_ASSIGN_OR_RETURN(OpAttrs attrs, attrs_from_json(*kind, op_case.attrs));
  BuiltCase built;
  std::vector<Value> values;
  for (size_t k = 0; k < op_case.inputs.size(); ++k) {
    UPRES_ASSIGN_OR_RETURN(Tensor tensor, read_tensor(dir, op_case.inputs[k]));
    if (op_case.inputs[k].is_constant) {
      values.push_back(built.graph.constant(tensor));
    } else {
      values.push_back(built.graph.input("in" + std::to_string(k), tensor.shape()));
      built.inputs.push_back(tensor);
    }
  }
  std::vector<Tensor> constants;
  for (const auto& entry : op_case.constants) {
    if (!entry) {
      constants.emplace_back();
      continue;
    }
    UPRES_ASSIGN_OR_RETURN(Tensor tensor, read_tensor(dir, *entry));
    UPRES_ASSIGN_OR_RETURN(tensor, tensor.to(weight_dtype));
    constants.push_back(tensor);
  }
  Value out = built.graph.add_node(*kind, attrs, values, constants, op_case.name);
  built.graph.mark_output(out);
  UPRES_RETURN_IF_ERROR(built.graph.status());
  UPRES_ASSIGN_OR_RETURN(built.expected, read_tensor(dir, op_case.output));
  return built;
}

double relative_error(const Tensor& actual, const Tensor& expected) {
  if (!actual.is_defined() || actual.shape() != expected.shape()) return std::numeric_limits<double>::infinity();
  std::vector<float> a = actual.to_f32();
  std::vector<float> e = expected.to_f32();
  double worst = 0.0, range = 1e-6;
  for (size_t i = 0; i < a.size(); ++i) {
    double diff = std::fabs(static_cast<double>(a[i]) - e[i]);
    if (std::isnan(diff)) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, diff);
    range = std::max(range, std::fabs(static_cast<double>(e[i])));
  }
  return worst / range;
}

Result<std::string> generate_fixtures(const std::string& script) {
  std::string templ = (std::filesystem::temp_directory_path() / "upres_engine_XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return io_error("mkdtemp " + templ);
  std::string command = "/usr/bin/python3 " + std::string(UPRES_SOURCE_DIR) + "/tests/reference/" + script + " " +
                        templ + " > " + templ + "/log.txt 2>&1";
  int rc = std::system(command.c_str());
  if (rc != 0) return internal_error(command + " exited with " + std::to_string(rc) + " (see log.txt)");
  return templ;
}

}  // namespace upres::engine::testing
