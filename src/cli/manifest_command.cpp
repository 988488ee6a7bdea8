#include "cli/manifest_command.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "base/file_io.h"
#include "cli/cli_error.h"
#include "pipeline/run_manifest.h"
#include "pipeline/shard_partition.h"
#include "store/sha256.h"

namespace upres::cli {
namespace {

// What the manifests say about each input: its last record (file order, then the order given),
// how many results were written for it, and the problems found reading them.
struct JoinedManifests {
  std::map<std::string, pipeline::ManifestRecord> last_by_input;
  std::map<std::string, int> written_by_input;  // "ok" records: a good run has exactly one per input
  std::vector<std::string> problems;
};

JoinedManifests join(const std::vector<std::string>& paths) {
  JoinedManifests joined;
  for (const std::string& path : paths) {
    auto contents = pipeline::read_manifest(path);
    if (!contents.is_ok()) {
      joined.problems.push_back(contents.status().to_string());
      continue;
    }
    for (const std::string& bad : contents->bad_lines) joined.problems.push_back(bad + " (line ignored)");
    for (pipeline::ManifestRecord& record : contents->records) {
      if (record.status == "ok") ++joined.written_by_input[record.input];
      auto [it, inserted] = joined.last_by_input.try_emplace(record.input, record);
      // Last by finish time: files given in any order; equal times keep file order.
      if (!inserted && record.finished_unix_s >= it->second.finished_unix_s) it->second = std::move(record);
    }
  }
  return joined;
}

// The shard an input key belongs to: by the hash when the count is known, else as recorded.
std::string shard_label(const std::string& key, int shards, const pipeline::ManifestRecord* record) {
  if (shards > 0) return std::to_string(pipeline::shard_of(key, shards)) + "/" + std::to_string(shards);
  return record && !record->shard.empty() ? record->shard : "-";
}

struct ShardTally {
  int ok = 0, skipped = 0, failed = 0, missing = 0;
};

}  // namespace

ManifestCommand::ManifestCommand(CLI::App& app) {
  command_ = app.add_subcommand("manifest", "Join and check the JSON-lines manifests of (sharded) batch runs");
  command_->require_subcommand(1);
  merge_ = command_->add_subcommand("merge", "Write one manifest holding each input's last record");
  merge_->add_option("manifests", manifests_, "manifest files (.jsonl)")->required();
  merge_->add_option("-o,--output", merged_path_, "merged manifest to write (replaced atomically)")->required();
  summary_ = command_->add_subcommand("summary", "Per shard: done, failed and (with --inputs) missing items");
  verify_ = command_->add_subcommand("verify",
                                     "Check every recorded result exists with its recorded sha256, each written once");
  for (CLI::App* sub : {summary_, verify_}) {
    sub->add_option("manifests", manifests_, "manifest files (.jsonl)")->required();
    sub->add_option("--inputs", inputs_, "the run's INPUT arguments: items with no record are reported missing");
    sub->add_flag("-r,--recursive", recursive_, "as the run's --recursive");
    sub->add_option("--shards", shards_, "the run's shard count: group items by shard (missing ones too)");
  }
  verify_->add_option("--output-dir", output_dir_, "look for results here instead of the recorded output folder");
}

int ManifestCommand::run() {
  if (merge_->parsed()) return merge();
  if (summary_->parsed()) return summary();
  return verify();
}

int ManifestCommand::merge() {
  const JoinedManifests joined = join(manifests_);
  for (const std::string& problem : joined.problems) std::fprintf(stderr, "upres: %s\n", problem.c_str());
  std::string text;
  for (const auto& [key, record] : joined.last_by_input) text += pipeline::to_manifest_line(record);
  Status written = write_file_atomic(merged_path_, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  if (!written.is_ok()) return report_error(written, 1);
  std::printf("%zu items from %zu manifests -> %s\n", joined.last_by_input.size(), manifests_.size(),
              merged_path_.c_str());
  return joined.problems.empty() ? 0 : 1;
}

int ManifestCommand::summary() {
  const JoinedManifests joined = join(manifests_);
  std::map<std::string, ShardTally> tallies;
  std::vector<std::string> lines;
  for (const auto& [key, record] : joined.last_by_input) {
    ShardTally& tally = tallies[shard_label(key, shards_, &record)];
    if (record.status == "ok") ++tally.ok;
    else if (record.status == "skipped") ++tally.skipped;
    else ++tally.failed, lines.push_back("failed  " + key + ": " + record.error);
  }
  const pipeline::InputList inputs = pipeline::expand_inputs(inputs_, recursive_);
  for (const pipeline::InputItem& item : inputs.items) {
    const std::string key = pipeline::shard_key(item);
    if (joined.last_by_input.count(key)) continue;
    ++tallies[shard_label(key, shards_, nullptr)].missing;
    lines.push_back("missing " + key + " (shard " + shard_label(key, shards_, nullptr) + ")");
  }
  ShardTally total;
  std::printf("%-10s %8s %8s %8s %8s\n", "shard", "ok", "skipped", "failed", "missing");
  for (const auto& [shard, t] : tallies) {
    std::printf("%-10s %8d %8d %8d %8d\n", shard.c_str(), t.ok, t.skipped, t.failed, t.missing);
    total.ok += t.ok, total.skipped += t.skipped, total.failed += t.failed, total.missing += t.missing;
  }
  std::printf("%-10s %8d %8d %8d %8d\n", "total", total.ok, total.skipped, total.failed, total.missing);
  for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  for (const std::string& problem : joined.problems) std::fprintf(stderr, "upres: %s\n", problem.c_str());
  return total.failed == 0 && total.missing == 0 && joined.problems.empty() ? 0 : 1;
}

int ManifestCommand::verify() {
  const JoinedManifests joined = join(manifests_);
  std::vector<std::string> problems = joined.problems;
  int verified = 0;
  for (const auto& [key, record] : joined.last_by_input) {
    if (joined.written_by_input.count(key) && joined.written_by_input.at(key) > 1)
      problems.push_back(key + ": written " + std::to_string(joined.written_by_input.at(key)) + " times");
    if (!record.is_done()) continue;
    const std::filesystem::path dir = output_dir_.empty() ? record.output_dir : output_dir_;
    const std::filesystem::path path = dir / record.output;
    Result<std::string> sha256 = store::sha256_of_file(path);
    if (!sha256.is_ok()) problems.push_back(key + ": result " + path.string() + " cannot be read: " +
                                            sha256.status().message());
    else if (sha256.value() != record.output_sha256)
      problems.push_back(key + ": result " + path.string() + " has sha256 " + sha256.value() + ", the manifest " +
                         record.output_sha256);
    else ++verified;
  }
  const pipeline::InputList inputs = pipeline::expand_inputs(inputs_, recursive_);
  for (const pipeline::InputItem& item : inputs.items) {
    const std::string key = pipeline::shard_key(item);
    if (!joined.last_by_input.count(key))
      problems.push_back(key + ": no record (shard " + shard_label(key, shards_, nullptr) + ")");
  }
  for (const std::string& problem : problems) std::printf("problem: %s\n", problem.c_str());
  std::printf("%d results verified, %zu problems\n", verified, problems.size());
  return problems.empty() ? 0 : 1;
}

}  // namespace upres::cli
