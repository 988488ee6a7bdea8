// NcnnGraph: tokenizer and param-dict parser for text .param files.
#include "weights/ncnn_graph.h"

#include <bit>
#include <cctype>
#include <charconv>
#include <set>

namespace upres::weights {
namespace {

constexpr int kMaxParamId = 32;
constexpr int kArrayKeyBase = -23300;
constexpr int32_t kMaxCount = 10'000'000;
constexpr size_t kMaxToken = 255;

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}
  // Next whitespace-separated token, or empty at the end.
  std::string_view next() {
    skip_space();
    size_t start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string_view peek() {
    size_t saved = pos_;
    std::string_view token = next();
    pos_ = saved;
    return token;
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  void skip_space() { while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_; }
  std::string_view text_;
  size_t pos_ = 0;
};

template <typename T>
bool parse_number(std::string_view token, T& out) {
  if (!token.empty() && token[0] == '+') token.remove_prefix(1);
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), out);
  return ec == std::errc() && end == token.data() + token.size();
}

bool is_float_token(std::string_view token) {
  return token.find_first_of(".eE") != std::string_view::npos;
}

// Parses a comma-separated list of scalars into an array param.
bool parse_array(std::string_view list, NcnnParam& param) {
  bool floats = is_float_token(list);
  param.kind = floats ? NcnnParam::Kind::kFloatArray : NcnnParam::Kind::kIntArray;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    if (floats) {
      float v;
      if (!parse_number(item, v)) return false;
      param.floats.push_back(v);
    } else {
      int32_t v;
      if (!parse_number(item, v)) return false;
      param.ints.push_back(v);
    }
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return true;
}

bool parse_value(std::string_view raw, bool old_array, NcnnParam& param) {
  if (old_array) {  // "<len>,<v1>,...": the length must match
    size_t comma = raw.find(',');
    int32_t len;
    if (!parse_number(raw.substr(0, comma), len) || len < 0) return false;
    if (!parse_array(comma == std::string_view::npos ? "" : raw.substr(comma + 1), param)) return false;
    return static_cast<size_t>(len) == param.ints.size() + param.floats.size();
  }
  if (!raw.empty() && (std::isalpha(static_cast<unsigned char>(raw[0])) || raw[0] == '"')) {
    param.kind = NcnnParam::Kind::kString;
    param.text = std::string(raw);
    return true;
  }
  if (raw.find(',') != std::string_view::npos) return parse_array(raw, param);
  if (is_float_token(raw)) {
    param.kind = NcnnParam::Kind::kFloat;
    return parse_number(raw, param.f);
  }
  param.kind = NcnnParam::Kind::kInt;
  return parse_number(raw, param.i);
}

// Reads `key=value` tokens until the next token that is not one.
Status parse_params(Tokenizer& tokens, NcnnLayer& layer) {
  while (true) {
    std::string_view token = tokens.peek();
    size_t eq = token.find('=');
    int key;
    if (eq == std::string_view::npos || !parse_number(token.substr(0, eq), key)) return Status::ok();
    tokens.next();
    std::string_view raw = token.substr(eq + 1);
    if (!raw.empty() && raw[0] == '"') {
      return unsupported("layer '" + layer.name + "': quoted string params are not read");
    }
    bool old_array = key <= kArrayKeyBase;
    int id = old_array ? kArrayKeyBase - key : key;
    if (id < 0 || id >= kMaxParamId) {
      return corrupt("layer '" + layer.name + "': param id " + std::to_string(key) + " out of range");
    }
    NcnnParam param;
    if (!parse_value(raw, old_array, param)) {
      return corrupt("layer '" + layer.name + "': bad value '" + std::string(raw) + "' for param " + std::to_string(key));
    }
    layer.params.set(id, std::move(param));
  }
}

Result<int32_t> parse_count(Tokenizer& tokens, std::string_view what) {
  std::string_view token = tokens.next();
  int32_t value;
  if (!parse_number(token, value) || value < 0 || value > kMaxCount) {
    return corrupt(std::string(what) + " '" + std::string(token) + "' is not a valid count");
  }
  return value;
}

Status read_names(Tokenizer& tokens, int32_t count, std::vector<std::string>& out, std::string_view what) {
  for (int32_t i = 0; i < count; ++i) {
    std::string_view token = tokens.next();
    if (token.empty()) return corrupt("truncated " + std::string(what) + " list");
    if (token.size() > kMaxToken) return corrupt(std::string(what) + " name longer than 255 characters");
    out.emplace_back(token);
  }
  return Status::ok();
}

Result<NcnnLayer> parse_layer(Tokenizer& tokens) {
  NcnnLayer layer;
  layer.type = std::string(tokens.next());
  layer.name = std::string(tokens.next());
  if (layer.name.empty()) return corrupt("truncated layer line");
  if (layer.type.size() > kMaxToken || layer.name.size() > kMaxToken) return corrupt("layer name too long");
  UPRES_ASSIGN_OR_RETURN(int32_t n_in, parse_count(tokens, "input count of layer '" + layer.name + "'"));
  UPRES_ASSIGN_OR_RETURN(int32_t n_out, parse_count(tokens, "output count of layer '" + layer.name + "'"));
  UPRES_RETURN_IF_ERROR(read_names(tokens, n_in, layer.inputs, "input blob"));
  UPRES_RETURN_IF_ERROR(read_names(tokens, n_out, layer.outputs, "output blob"));
  UPRES_RETURN_IF_ERROR(parse_params(tokens, layer));
  return layer;
}

}  // namespace

Result<NcnnGraph> parse_ncnn_param(std::string_view text, std::string_view name) {
  std::string file(name);
  Tokenizer tokens(text);
  if (tokens.next() != "7767517") return corrupt(file + ": not an ncnn text .param (magic 7767517 missing)");
  NcnnGraph graph;
  auto layer_count = parse_count(tokens, "layer count");
  auto blob_count = parse_count(tokens, "blob count");
  if (!layer_count.is_ok()) return layer_count.status().with_context(file);
  if (!blob_count.is_ok()) return blob_count.status().with_context(file);
  graph.blob_count = *blob_count;
  std::set<std::string> blobs, produced;
  for (int32_t i = 0; i < *layer_count; ++i) {
    auto layer = parse_layer(tokens);
    if (!layer.is_ok()) return layer.status().with_context(file + ": layer " + std::to_string(i));
    for (const std::string& input : layer->inputs) blobs.insert(input);
    for (const std::string& output : layer->outputs) {
      if (!produced.insert(output).second) return corrupt(file + ": blob '" + output + "' is produced twice");
      blobs.insert(output);
    }
    graph.layers.push_back(std::move(layer).value());
  }
  if (static_cast<int64_t>(blobs.size()) > graph.blob_count) {
    return corrupt(file + ": " + std::to_string(blobs.size()) + " distinct blobs, header declares " +
                   std::to_string(graph.blob_count));
  }
  if (!tokens.next().empty()) return corrupt(file + ": text after the last declared layer");
  return graph;
}

const NcnnParam* NcnnParamDict::find(int id) const {
  auto it = params_.find(id);
  return it == params_.end() ? nullptr : &it->second;
}

int32_t NcnnParamDict::get_int(int id, int32_t default_value) const {
  const NcnnParam* p = find(id);
  if (p == nullptr) return default_value;
  return p->kind == NcnnParam::Kind::kFloat ? std::bit_cast<int32_t>(p->f) : p->i;
}

float NcnnParamDict::get_float(int id, float default_value) const {
  const NcnnParam* p = find(id);
  if (p == nullptr) return default_value;
  return p->kind == NcnnParam::Kind::kInt ? std::bit_cast<float>(p->i) : p->f;
}

std::vector<float> NcnnParamDict::get_float_array(int id) const {
  const NcnnParam* p = find(id);
  if (p == nullptr) return {};
  if (p->kind == NcnnParam::Kind::kFloatArray) return p->floats;
  std::vector<float> out;
  for (int32_t v : p->ints) out.push_back(std::bit_cast<float>(v));
  return out;
}

std::vector<int32_t> NcnnParamDict::get_int_array(int id) const {
  const NcnnParam* p = find(id);
  if (p == nullptr) return {};
  if (p->kind == NcnnParam::Kind::kIntArray) return p->ints;
  std::vector<int32_t> out;
  for (float v : p->floats) out.push_back(std::bit_cast<int32_t>(v));
  return out;
}

}  // namespace upres::weights
