// upres: makes pictures bigger and better. The subcommands live in their own files; this one
// only parses and dispatches.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/faces_command.h"
#include "cli/info_command.h"
#include "cli/manifest_command.h"
#include "cli/models_command.h"
#include "cli/ncnn_compat/ncnn_cli_entry.h"
#include "cli/outpaint_command.h"
#include "cli/serve_command.h"
#include "cli/upscale_command.h"

int main(int argc, char** argv) {
  // Invoked as an ncnn-vulkan tool (symlink name) or `upres ncnn-cli TOOL ...`: that tool's CLI.
  if (std::optional<int> status = upres::cli::ncnn_compat::run_ncnn_cli_if_invoked(argc, argv)) return *status;
  CLI::App app{"upres: AI image upscaling (the Extras tab as a fast standalone program)"};
  app.require_subcommand(1);
  upres::cli::UpscaleCommand upscale(app);
  upres::cli::InfoCommand info(app);
  upres::cli::ModelsCommand models(app);
  upres::cli::ServeCommand serve(app);
  upres::cli::FacesCommand faces(app);
  upres::cli::OutpaintCommand outpaint(app);
  upres::cli::ManifestCommand manifest(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : 2;  // usage errors exit 2, as for other bad input
  }
  if (upscale.is_chosen()) return upscale.run();
  if (info.is_chosen()) return info.run();
  if (models.is_chosen()) return models.run();
  if (serve.is_chosen()) return serve.run();
  if (faces.is_chosen()) return faces.run();
  if (outpaint.is_chosen()) return outpaint.run();
  if (manifest.is_chosen()) return manifest.run();
  return 2;
}
