// ShardPartition: which items of a batch one task of a job array (Slurm, Kubernetes Indexed Job)
// takes. Every task expands the same inputs and keeps the items whose name hashes to its index, so
// no coordination is needed: the union of all shards is the whole batch, each item exactly once.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "pipeline/input_list.h"

namespace upres::pipeline {

struct ShardSpec {
  int index = 0;  // 0-based
  int count = 1;
  std::string to_string() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// Reads an environment variable (std::getenv in the program; a map in tests).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// `--shard I/N` (0 <= I < N), or `--shard auto` with the index from SLURM_ARRAY_TASK_ID or
// JOB_COMPLETION_INDEX and the count from `shards` (--shards, 0 = not given) or
// SLURM_ARRAY_TASK_COUNT. Slurm's task ids are taken as 0..N-1 (`--array=0-{N-1}`): an id past
// the count is an error, not wrapped, so a mis-sized array cannot do items twice.
Result<ShardSpec> parse_shard_spec(const std::string& text, int shards, const EnvironmentLookup& environment);

// The item's name for hashing: its path relative to its root, '/'-separated (UTF-8 on Linux),
// so every machine names it alike wherever the data set is mounted.
std::string shard_key(const InputItem& item);

// The 64-bit hash of a key: FNV-1a over its bytes, then the splitmix64 finaliser (FNV-1a alone
// leaves nearby names in nearby values). Fixed forever: changing it would reshuffle every array.
uint64_t shard_hash(std::string_view key);

// Jump consistent hash (Lamping & Veach 2014) of the key into [0, count). Why this and not
// hash % count: both leave existing items where they are when files are added (only the new
// ones are placed), but when an operator resizes the array from N to N+1 tasks, jump hashing
// moves only 1/(N+1) of the items (hash % count would move N/(N+1)), so manifests and
// finished outputs of a previous sizing stay with the task that will look for them.
// Requires: count >= 1.
int shard_of(std::string_view key, int count);

// The items of `inputs` that belong to `shard`, in their original order; is_batch is kept from
// the whole list, so results are named by stem in every shard.
InputList select_shard(const InputList& inputs, const ShardSpec& shard);

// Marks as failed every item whose output name (its stem) was already taken by another item of
// the whole list (the first by shard key keeps it): in a sharded or resumed batch two inputs
// a/x.png and b/x.jpg would otherwise race for x.png in different tasks.
void fail_stem_collisions(InputList& inputs);

}  // namespace upres::pipeline
