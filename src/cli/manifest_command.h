// `upres manifest merge|summary|verify`: joins the JSON-lines manifests that the tasks of a sharded
// run wrote (one shared file or one per task), says per shard what is done, failed or missing, and
// checks that every recorded result is still on disk with its recorded sha256.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace upres::cli {

class ManifestCommand {
 public:
  explicit ManifestCommand(CLI::App& app);

  bool is_chosen() const { return command_->parsed(); }
  // 0 when all is well: merged; no failed or missing item; every result verified.
  int run();

 private:
  int merge();
  int summary();
  int verify();

  CLI::App* command_;
  CLI::App* merge_;
  CLI::App* summary_;
  CLI::App* verify_;
  std::vector<std::string> manifests_;
  std::string merged_path_;
  std::vector<std::string> inputs_;  // the run's INPUT arguments: to find items with no record
  bool recursive_ = false;
  int shards_ = 0;
  std::string output_dir_;           // where results are now, when moved since the run
};

}  // namespace upres::cli
