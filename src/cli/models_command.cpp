#include "cli/models_command.h"

#include <cstdio>

#include "store/model_store.h"
#include "store/model_table.h"

namespace upres::cli {

ModelsCommand::ModelsCommand(CLI::App& app) {
  command_ = app.add_subcommand("models", "List installed and downloadable models");
  command_->add_option("--models", models_dir_, "models folder")->capture_default_str();
}

int ModelsCommand::run() {
  store::ModelStore store(store::ModelStoreOptions::from_environment(models_dir_));
  std::vector<store::ModelListing> rows = store.list();
  std::fputs(store::format_model_table(rows).c_str(), stdout);
  return 0;
}

}  // namespace upres::cli
