// StateDict: key lookup, shape checks and fp32 conversion over a WeightMap.
#include "nn/state_dict.h"

#include <algorithm>
#include <charconv>

namespace upres::nn {

bool StateDict::has_prefix(std::string_view prefix) const {
  for (const auto& entry : weights_.entries()) {
    if (std::string_view(entry.name).starts_with(prefix)) return true;
  }
  return false;
}

const std::vector<int64_t>* StateDict::shape(std::string_view key) const {
  const weights::WeightEntry* entry = weights_.find(key);
  return entry == nullptr ? nullptr : &entry->shape;
}

Result<int64_t> StateDict::dim(std::string_view key, int axis) const {
  const std::vector<int64_t>* s = shape(key);
  if (s == nullptr) return not_found("weight '" + std::string(key) + "' is missing");
  if (axis < 0 || static_cast<size_t>(axis) >= s->size()) {
    return corrupt("weight '" + std::string(key) + "' has shape " + engine::shape_to_string(*s) +
                   ", expected at least " + std::to_string(axis + 1) + " dimensions");
  }
  return (*s)[static_cast<size_t>(axis)];
}

int StateDict::seq_len(std::string_view prefix) const {
  const std::string head = std::string(prefix) + ".";
  int longest = 0;
  for (const auto& entry : weights_.entries()) {
    std::string_view name = entry.name;
    if (!name.starts_with(head)) continue;
    name.remove_prefix(head.size());
    const size_t dot = name.find('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    int index = 0;
    const auto [end, error] = std::from_chars(name.data(), name.data() + dot, index);
    if (error != std::errc() || end != name.data() + dot || index < 0) continue;
    longest = std::max(longest, index + 1);
  }
  return longest;
}

Result<engine::Tensor> StateDict::tensor(std::string_view key, const engine::Shape& expected) const {
  const weights::WeightEntry* entry = weights_.find(key);
  if (entry == nullptr) return not_found("weight '" + std::string(key) + "' is missing");
  if (entry->shape != expected) {
    return corrupt("weight '" + std::string(key) + "' has shape " + engine::shape_to_string(entry->shape) +
                   ", expected " + engine::shape_to_string(expected));
  }
  UPRES_ASSIGN_OR_RETURN(std::vector<float> values, weights_.read_f32(*entry));
  auto tensor = engine::Tensor::from_f32(values, expected);
  if (!tensor.is_ok()) return tensor.status().with_context("weight '" + std::string(key) + "'");
  return tensor;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(weights_.size());
  for (const auto& entry : weights_.entries()) out.push_back(entry.name);
  return out;
}

std::string StateDict::key_sample(size_t count) const {
  std::string out;
  size_t shown = 0;
  for (const auto& entry : weights_.entries()) {
    if (shown == count) {
      out += ", ... (" + std::to_string(weights_.size()) + " tensors)";
      break;
    }
    if (shown > 0) out += ", ";
    out += entry.name;
    ++shown;
  }
  return out.empty() ? "(no tensors)" : out;
}

}  // namespace upres::nn
