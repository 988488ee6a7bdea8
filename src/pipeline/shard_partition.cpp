#include "pipeline/shard_partition.h"

#include <charconv>
#include <map>

namespace upres::pipeline {
namespace {

// A whole non-negative decimal number, or nothing.
std::optional<int> parse_count(std::string_view text) {
  int value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

Result<ShardSpec> checked(ShardSpec spec, const std::string& what) {
  if (spec.count < 1) return invalid_argument(what + ": the shard count must be at least 1");
  if (spec.index < 0 || spec.index >= spec.count)
    return invalid_argument(what + ": shard index " + std::to_string(spec.index) + " is outside 0.." +
                            std::to_string(spec.count - 1));
  return spec;
}

}  // namespace

Result<ShardSpec> parse_shard_spec(const std::string& text, int shards, const EnvironmentLookup& environment) {
  if (shards < 0) return invalid_argument("--shards: expected a positive count, got " + std::to_string(shards));
  if (text != "auto") {
    const size_t slash = text.find('/');
    std::optional<int> index = parse_count(std::string_view(text).substr(0, slash));
    std::optional<int> count =
        slash == std::string::npos ? std::nullopt : parse_count(std::string_view(text).substr(slash + 1));
    if (!index || !count) return invalid_argument("--shard: expected I/N (e.g. 3/16) or auto, got \"" + text + "\"");
    if (shards != 0 && shards != *count)
      return invalid_argument("--shard " + text + " and --shards " + std::to_string(shards) + " disagree");
    return checked({*index, *count}, "--shard " + text);
  }
  std::string index_name = "SLURM_ARRAY_TASK_ID";
  std::optional<std::string> index_text = environment(index_name);
  if (!index_text) index_text = environment(index_name = "JOB_COMPLETION_INDEX");
  if (!index_text)
    return invalid_argument("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set "
                            "(not in a Slurm job array or a Kubernetes Indexed Job; give --shard I/N)");
  std::optional<int> index = parse_count(*index_text);
  if (!index) return invalid_argument("--shard auto: " + index_name + "=\"" + *index_text + "\" is not a task index");
  int count = shards;
  if (count == 0) {
    std::optional<std::string> count_text = environment("SLURM_ARRAY_TASK_COUNT");
    if (!count_text || index_name != "SLURM_ARRAY_TASK_ID")
      return invalid_argument("--shard auto: the shard count is unknown; give --shards N (the array's size)");
    std::optional<int> parsed = parse_count(*count_text);
    if (!parsed) return invalid_argument("--shard auto: SLURM_ARRAY_TASK_COUNT=\"" + *count_text + "\" is not a count");
    count = *parsed;
  }
  return checked({*index, count}, "--shard auto (" + index_name + "=" + *index_text + ")");
}

std::string shard_key(const InputItem& item) {
  std::error_code ec;
  std::filesystem::path relative = item.root.empty() ? item.path : item.path.lexically_relative(item.root);
  if (relative.empty() || *relative.begin() == "..") relative = item.path;  // not under its root: as given
  return relative.lexically_normal().generic_string();
}

uint64_t shard_hash(std::string_view key) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis and prime
  for (unsigned char byte : key) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  hash ^= hash >> 30;  // splitmix64 finaliser
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

int shard_of(std::string_view key, int count) {
  uint64_t hash = shard_hash(key);
  int64_t bucket = -1, next = 0;
  while (next < count) {  // Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm"
    bucket = next;
    hash = hash * 2862933555777941757ULL + 1;
    next = static_cast<int64_t>(static_cast<double>(bucket + 1) *
                                (static_cast<double>(1LL << 31) / static_cast<double>((hash >> 33) + 1)));
  }
  return static_cast<int>(bucket);
}

InputList select_shard(const InputList& inputs, const ShardSpec& shard) {
  InputList selected;
  selected.is_batch = inputs.is_batch;
  for (const InputItem& item : inputs.items)
    if (shard_of(shard_key(item), shard.count) == shard.index) selected.items.push_back(item);
  return selected;
}

void fail_stem_collisions(InputList& inputs) {
  std::map<std::string, std::string> owner_by_stem;  // stem -> smallest shard key claiming it
  for (const InputItem& item : inputs.items) {
    if (!item.problem.is_ok()) continue;
    auto [it, inserted] = owner_by_stem.emplace(item.path.stem().string(), shard_key(item));
    if (!inserted && shard_key(item) < it->second) it->second = shard_key(item);
  }
  for (InputItem& item : inputs.items) {
    if (!item.problem.is_ok()) continue;
    const std::string& owner = owner_by_stem[item.path.stem().string()];
    if (owner != shard_key(item))
      item.problem = invalid_argument(item.path.string() + ": its output name (stem \"" + item.path.stem().string() +
                                      "\") is taken by " + owner + "; rename one of them");
  }
}

}  // namespace upres::pipeline
