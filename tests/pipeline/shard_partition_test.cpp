// The shard partition: fixed across machines, balanced, exactly once, and stable as files are added.
#include "pipeline/shard_partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "test_folder.h"

namespace upres::pipeline {
namespace {

InputItem item(const std::string& root, const std::string& relative) {
  return {std::filesystem::path(root) / relative, Status::ok(), root};
}

std::vector<std::string> synthetic_keys(int count, int first = 0) {
  std::vector<std::string> keys;
  for (int i = first; i < first + count; ++i) keys.push_back("archive/" + std::to_string(i % 97) + "/img_" + std::to_string(i) + ".png");
  return keys;
}

// Expected values from an independent Python implementation (tests/reference/shard_partition_oracle.py):
// a change here reshuffles every running array, so it must be deliberate.
TEST(ShardPartitionTest, AssignmentIsFixedForAFixedList) {
  EXPECT_EQ(shard_hash("a.png"), 0xd0f483569cceeb56ULL);
  EXPECT_EQ(shard_hash(""), 0xf52a15e9a9b5e89bULL);
  const std::vector<std::string> keys = {"a.png", "b.png", "c.png", "scans/0001.tif", "scans/0002.tif",
                                         "film/frame_000001.png", "film/frame_000002.png", "photos/été.jpg",
                                         "x", "deep/a/b/c.webp"};
  const std::vector<int> expected_4 = {1, 2, 1, 3, 0, 0, 2, 0, 2, 0};
  const std::vector<int> expected_16 = {7, 13, 14, 12, 0, 7, 11, 0, 5, 0};
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(shard_of(keys[i], 4), expected_4[i]) << keys[i];
    EXPECT_EQ(shard_of(keys[i], 16), expected_16[i]) << keys[i];
  }
}

TEST(ShardPartitionTest, KeyIsThePathRelativeToItsRootWhereverItIsMounted) {
  EXPECT_EQ(shard_key(item("/mnt/a/data", "sub/x.png")), "sub/x.png");
  EXPECT_EQ(shard_key(item("/scratch/job7/data/", "sub/x.png")), "sub/x.png");
  EXPECT_EQ(shard_key(item("", "x.png")), "x.png");
  InputItem outside{"/elsewhere/y.png", Status::ok(), "/mnt/a"};
  EXPECT_EQ(shard_key(outside), "/elsewhere/y.png");
}

// expand_inputs records each item's root: a folder argument, a glob's fixed folders, a file's parent.
TEST(ShardPartitionTest, ExpandedInputsAreKeyedRelativeToTheirArgument) {
  testing::TestFolder dir;
  std::filesystem::create_directories(dir.path() / "set" / "sub");
  for (const char* name : {"set/a.png", "set/sub/b.png"}) std::ofstream(dir.path() / name) << "x";
  std::vector<std::string> keys;
  for (const InputItem& found : expand_inputs({(dir.path() / "set").string()}, true).items) keys.push_back(shard_key(found));
  EXPECT_EQ(keys, (std::vector<std::string>{"a.png", "sub/b.png"}));
  keys.clear();
  for (const InputItem& found : expand_inputs({(dir.path() / "set" / "*" / "*.png").string()}, false).items)
    keys.push_back(shard_key(found));
  EXPECT_EQ(keys, (std::vector<std::string>{"sub/b.png"}));
  EXPECT_EQ(shard_key(expand_inputs({(dir.path() / "set" / "a.png").string()}, false).items.at(0)), "a.png");
}

TEST(ShardPartitionTest, ShardsCoverTheListExactlyOnce) {
  InputList all;
  all.is_batch = true;
  for (const std::string& key : synthetic_keys(1000)) all.items.push_back(item("/data", key));
  std::map<std::string, int> seen;
  for (int index = 0; index < 7; ++index) {
    InputList shard = select_shard(all, {index, 7});
    EXPECT_TRUE(shard.is_batch);
    for (const InputItem& selected : shard.items) ++seen[selected.path.string()];
  }
  ASSERT_EQ(seen.size(), all.items.size());
  for (const auto& [path, times] : seen) EXPECT_EQ(times, 1) << path;
}

TEST(ShardPartitionTest, ShardsAreBalancedWithinTenPercent) {
  const std::vector<std::string> keys = synthetic_keys(100000);
  for (int count : {4, 16}) {
    std::vector<int> sizes(count, 0);
    for (const std::string& key : keys) ++sizes[shard_of(key, count)];
    const auto [smallest, largest] = std::minmax_element(sizes.begin(), sizes.end());
    EXPECT_LE(*largest, *smallest * 1.10) << count << " shards: " << *smallest << " to " << *largest;
  }
}

TEST(ShardPartitionTest, AddingOnePercentOfFilesMovesFewItems) {
  const int count = 16;
  const std::vector<std::string> before = synthetic_keys(100000);
  std::vector<std::string> after = before;
  for (const std::string& key : synthetic_keys(1000, 100000)) after.push_back(key);
  std::map<std::string, int> shard_before;
  for (const std::string& key : before) shard_before[key] = shard_of(key, count);
  int moved = 0;
  for (const std::string& key : after) {
    auto it = shard_before.find(key);
    if (it != shard_before.end() && it->second != shard_of(key, count)) ++moved;
  }
  EXPECT_LE(moved, static_cast<int>(before.size()) * 2 / count);
  EXPECT_EQ(moved, 0);  // a key's shard depends on the key and the count only
}

TEST(ShardPartitionTest, GrowingTheArrayMovesAboutOneShardsWorth) {
  const std::vector<std::string> keys = synthetic_keys(100000);
  int moved = 0;
  for (const std::string& key : keys) moved += shard_of(key, 16) != shard_of(key, 17);
  EXPECT_LE(moved, static_cast<int>(keys.size()) * 2 / 17);  // hash % count would move 16/17
  EXPECT_GT(moved, 0);
}

TEST(ShardPartitionTest, ParsesExplicitAndEnvironmentShards) {
  std::map<std::string, std::string> env;
  const EnvironmentLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto explicit_spec = parse_shard_spec("3/16", 0, lookup);
  ASSERT_TRUE(explicit_spec.is_ok()) << explicit_spec.status().to_string();
  EXPECT_EQ(explicit_spec->to_string(), "3/16");
  for (const char* bad : {"16/16", "-1/4", "1/0", "1", "a/b", "1/4x", ""})
    EXPECT_FALSE(parse_shard_spec(bad, 0, lookup).is_ok()) << bad;
  EXPECT_FALSE(parse_shard_spec("1/4", 8, lookup).is_ok());  // --shards disagrees

  EXPECT_FALSE(parse_shard_spec("auto", 4, lookup).is_ok());  // not in an array
  env = {{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}};
  EXPECT_EQ(parse_shard_spec("auto", 0, lookup)->to_string(), "2/4");
  env = {{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "4"}};  // --array=1-4: not 0-based
  EXPECT_FALSE(parse_shard_spec("auto", 0, lookup).is_ok());
  env = {{"JOB_COMPLETION_INDEX", "7"}};
  EXPECT_FALSE(parse_shard_spec("auto", 0, lookup).is_ok());  // Kubernetes gives no count
  EXPECT_EQ(parse_shard_spec("auto", 8, lookup)->to_string(), "7/8");
  env = {{"JOB_COMPLETION_INDEX", "x"}};
  EXPECT_FALSE(parse_shard_spec("auto", 8, lookup).is_ok());
}

TEST(ShardPartitionTest, SameStemInputsKeepOneOutputName) {
  InputList list;
  list.is_batch = true;
  list.items = {item("/d", "b/x.png"), item("/d", "a/x.jpg"), item("/d", "y.png")};
  fail_stem_collisions(list);
  EXPECT_FALSE(list.items[0].problem.is_ok());  // a/x.jpg sorts first and keeps x.png
  EXPECT_NE(list.items[0].problem.message().find("a/x.jpg"), std::string::npos) << list.items[0].problem.message();
  EXPECT_TRUE(list.items[1].problem.is_ok());
  EXPECT_TRUE(list.items[2].problem.is_ok());
}

}  // namespace
}  // namespace upres::pipeline
