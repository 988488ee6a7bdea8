// SafetensorsReader: header parse (nlohmann json, no exceptions escape) and coverage checks.
#include "weights/safetensors_reader.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

namespace upres::weights {
namespace {

using json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeName {
  const char* name;
  DType dtype;
};
constexpr DTypeName kDTypes[] = {
    {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F64", DType::kF64},
    {"I64", DType::kI64}, {"I32", DType::kI32}, {"I16", DType::kI16},   {"I8", DType::kI8},
    {"U8", DType::kU8},   {"BOOL", DType::kBool},
};

Result<DType> parse_dtype(const json& value, const std::string& what) {
  if (!value.is_string()) return corrupt(what + ": dtype is not a string");
  const std::string& text = value.get_ref<const std::string&>();
  for (const DTypeName& d : kDTypes) {
    if (text == d.name) return d.dtype;
  }
  return unsupported(what + ": dtype '" + text + "' is not read by upres");
}

Result<uint64_t> parse_u64(const json& value, const std::string& what) {
  if (!value.is_number_unsigned()) return corrupt(what + " is not a non-negative integer");
  return value.get<uint64_t>();
}

Result<WeightEntry> parse_entry(const std::string& name, const json& info, uint64_t base, uint64_t buffer) {
  std::string what = "tensor '" + name + "'";
  if (!info.is_object()) return corrupt(what + ": header entry is not an object");
  auto dtype_it = info.find("dtype"), shape_it = info.find("shape"), offsets_it = info.find("data_offsets");
  if (dtype_it == info.end() || shape_it == info.end() || offsets_it == info.end()) {
    return corrupt(what + ": header entry lacks dtype, shape or data_offsets");
  }
  WeightEntry entry;
  entry.name = name;
  UPRES_ASSIGN_OR_RETURN(entry.dtype, parse_dtype(*dtype_it, what));
  if (!shape_it->is_array() || shape_it->size() > 64) return corrupt(what + ": shape is not a short array");
  for (const json& dim : *shape_it) {
    UPRES_ASSIGN_OR_RETURN(uint64_t d, parse_u64(dim, what + " dimension"));
    if (d > (uint64_t{1} << 62)) return corrupt(what + ": dimension too large");
    entry.shape.push_back(static_cast<int64_t>(d));
  }
  UPRES_ASSIGN_OR_RETURN(int64_t numel, checked_numel(entry.shape, dtype_size(entry.dtype), what));
  if (!offsets_it->is_array() || offsets_it->size() != 2) return corrupt(what + ": data_offsets is not [begin, end]");
  UPRES_ASSIGN_OR_RETURN(uint64_t begin, parse_u64((*offsets_it)[0], what + " begin offset"));
  UPRES_ASSIGN_OR_RETURN(uint64_t end, parse_u64((*offsets_it)[1], what + " end offset"));
  if (begin > end || end > buffer) {
    return corrupt(what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                   "] outside the " + std::to_string(buffer) + "-byte data buffer");
  }
  if (end - begin != static_cast<uint64_t>(numel) * dtype_size(entry.dtype)) {
    return corrupt(what + ": " + std::to_string(end - begin) + " bytes do not match its shape and dtype");
  }
  entry.offset = base + begin;
  entry.length = end - begin;
  return entry;
}

// Tensors sorted by offset must tile the buffer exactly.
Status check_coverage(std::vector<WeightEntry>& entries, uint64_t base, uint64_t buffer) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const WeightEntry& a, const WeightEntry& b) { return a.offset < b.offset; });
  uint64_t expected = base;
  for (const WeightEntry& entry : entries) {
    if (entry.offset != expected) {
      return corrupt("tensor '" + entry.name + "' starts at buffer offset " + std::to_string(entry.offset - base) +
                     ", expected " + std::to_string(expected - base) + " (hole or overlap)");
    }
    expected += entry.length;
  }
  if (expected != base + buffer) return corrupt("the data buffer has bytes no tensor covers");
  return Status::ok();
}

}  // namespace

bool looks_like_safetensors(std::span<const uint8_t> bytes) {
  if (bytes.size() < 10) return false;
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  return n >= 2 && n <= kMaxHeaderBytes && bytes[8] == '{';
}

Result<WeightMap> read_safetensors(std::shared_ptr<const ByteSource> file) {
  const std::string& name = file->name();
  if (!looks_like_safetensors(file->bytes())) return corrupt(name + ": not a safetensors file");
  uint64_t header_len;
  std::memcpy(&header_len, file->data(), 8);
  UPRES_ASSIGN_OR_RETURN(auto header_bytes, file->range(8, header_len, "safetensors header"));
  json header = json::parse(header_bytes.begin(), header_bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return corrupt(name + ": safetensors header is not a JSON object");
  uint64_t base = 8 + header_len, buffer = file->size() - base;
  WeightMap map;
  map.set_format("safetensors");
  map.add_source(file);
  std::vector<WeightEntry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) return corrupt(name + ": __metadata__ is not an object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (mvalue.is_string()) map.set_metadata(mkey, mvalue.get<std::string>());
      }
      continue;
    }
    auto entry = parse_entry(key, value, base, buffer);
    if (!entry.is_ok()) return entry.status().with_context(name);
    entries.push_back(std::move(entry).value());
  }
  Status coverage = check_coverage(entries, base, buffer);
  if (!coverage.is_ok()) return coverage.with_context(name);
  for (WeightEntry& entry : entries) UPRES_RETURN_IF_ERROR(map.add_entry(std::move(entry)));
  return map;
}

}  // namespace upres::weights
