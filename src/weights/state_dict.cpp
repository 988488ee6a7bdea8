// State-dict unwrapping and flattening (spandrel __helpers/canonicalize.py behaviour).
#include "weights/state_dict.h"

#include <array>
#include <string_view>

namespace upres::weights {
namespace {

using Kind = PickleValue::Kind;

constexpr std::array<std::string_view, 7> kWrapperKeys{
    "model_state_dict", "state_dict", "params_ema", "params-ema", "params", "model", "net"};
constexpr int kMaxDepth = 32;
constexpr size_t kMaxNodes = 4u << 20;

std::string key_text(const PickleValue& key) {
  if (key.is(Kind::kInt)) return std::to_string(key.integer);
  if (key.is(Kind::kString) || key.is(Kind::kBytes)) return key.text;
  return "?";
}

struct Flattener {
  std::vector<std::pair<std::string, const PickleValue*>> out;
  size_t visited = 0;

  Status walk(const PickleValue& value, const std::string& prefix, int depth) {
    if (++visited > kMaxNodes) return corrupt("state dict has too many nested objects");
    if (depth > kMaxDepth) return corrupt("state dict nested deeper than 32 levels at '" + prefix + "'");
    auto join = [&](const std::string& key) { return prefix.empty() ? key : prefix + "." + key; };
    if (value.is(Kind::kTensor)) {
      out.emplace_back(prefix, &value);
    } else if (value.is(Kind::kDict)) {
      for (const auto& [key, item] : value.pairs) UPRES_RETURN_IF_ERROR(walk(*item, join(key_text(*key)), depth + 1));
    } else if (value.is(Kind::kList) || value.is(Kind::kTuple)) {
      for (size_t i = 0; i < value.items.size(); ++i) {
        UPRES_RETURN_IF_ERROR(walk(*value.items[i], join(std::to_string(i)), depth + 1));
      }
    }
    return Status::ok();
  }
};

}  // namespace

UnwrappedStateDict unwrap_state_dict(const PickleValue& root) {
  UnwrappedStateDict result{&root, ""};
  if (!root.is(Kind::kDict)) return result;
  for (std::string_view key : kWrapperKeys) {
    const PickleValue* inner = root.get(key);
    if (inner != nullptr && inner->is(Kind::kDict)) {
      result = {inner, std::string(key)};
      break;
    }
  }
  const PickleValue& dict = *result.root;
  if (dict.pairs.size() == 1 && dict.pairs[0].second->is(Kind::kDict)) {
    std::string key = key_text(*dict.pairs[0].first);
    result.wrapper = result.wrapper.empty() ? key : result.wrapper + "." + key;
    result.root = dict.pairs[0].second;
  }
  return result;
}

Result<std::vector<std::pair<std::string, const PickleValue*>>> flatten_tensors(const PickleValue& root) {
  Flattener flattener;
  UPRES_RETURN_IF_ERROR(flattener.walk(root, "", 0));
  return std::move(flattener.out);
}

std::string strip_common_prefix(WeightMap& map) {
  std::string removed;
  for (std::string_view prefix : {std::string_view("module."), std::string_view("netG.")}) {
    if (map.size() == 0) break;
    bool all = true;
    for (const WeightEntry& entry : map.entries()) all = all && entry.name.starts_with(prefix);
    if (!all) continue;
    map.strip_name_prefix(prefix);
    removed += prefix;
  }
  return removed;
}

}  // namespace upres::weights
