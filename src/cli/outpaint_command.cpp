#include "cli/outpaint_command.h"

#include <unistd.h>

#include <cstdio>

#include "cli/cli_error.h"
#include "cli/encode_flags.h"
#include "cli/reported_batch.h"
#include "image/image_codec.h"
#include "pipeline/batch_run.h"
#include "pipeline/run_outpaint.h"

namespace upres::cli {

OutpaintCommand::OutpaintCommand(CLI::App& app) {
  command_ = app.add_subcommand("outpaint", "Widen or heighten pictures (e.g. to 16:9) with a synthesised border");
  command_->add_option("inputs", inputs_, "image files, folders or globs")->required();
  for (const pipeline::OutpaintOption& option : pipeline::outpaint_options()) {
    CLI::Option* flag = command_->add_option(std::string(option.cli_flag), texts_[std::string(option.json_name)],
                                             std::string(option.help));
    if (!option.default_text.empty()) flag->default_str(std::string(option.default_text));
  }
  command_->add_option("-o,--output", output_dir_, "output folder")->capture_default_str();
  add_encode_flags(*command_, format_, quality_, lossless_);
  command_->add_flag("-r,--recursive", recursive_, "include sub-folders of folder inputs");
  command_->add_flag("--skip-existing", skip_existing_, "skip batch items whose result exists (resume)");
  command_->add_option("--max-pixels", max_pixels_, "refuse inputs, and canvases, with more pixels than this");
}

int OutpaintCommand::run() {
  pipeline::OutpaintRequest request;
  Status status;
  for (const pipeline::OutpaintOption& option : pipeline::outpaint_options()) {
    const CLI::Option* flag = command_->get_option(std::string(option.cli_flag));
    if (status.is_ok() && flag->count() > 0)
      status = pipeline::set_outpaint_option(request, option, texts_[std::string(option.json_name)]);
  }
  if (max_pixels_ > 0) request.canvas.max_pixels = max_pixels_;
  if (status.is_ok()) status = request.validate();
  if (status.is_ok()) status = pipeline::make_border_fill(request.fill).status();
  const Result<image::EncodeOptions> encode = encode_options_from_flags(format_, quality_, lossless_);
  if (status.is_ok()) status = encode.status();
  const pipeline::InputList inputs = pipeline::expand_inputs(inputs_, recursive_);
  // Every input's plan is checked from its header first: an ask a picture cannot take writes nothing.
  if (status.is_ok()) status = pipeline::check_outpaint_inputs(inputs, request);
  if (!status.is_ok()) return report_error(status, 2);
  auto output = pipeline::OutputFolder::open(output_dir_, *encode);
  if (!output.is_ok()) return report_error(output.status(), 1);

  pipeline::BatchOptions options;
  options.skip_existing = skip_existing_;
  if (max_pixels_ > 0) options.limits.max_pixels = max_pixels_;
  const pipeline::ItemWork work = [&](const image::Image& picture, pipeline::Progress& item_progress)
      -> Result<image::Image> {
    UPRES_ASSIGN_OR_RETURN(pipeline::ExtrasResult result, pipeline::run_outpaint(picture, request, item_progress));
    // Where the picture was extended, before the item's result line (clearing a progress bar first).
    std::fprintf(stderr, "%s  %dx%d -> %dx%d (%s)\n", ::isatty(::fileno(stderr)) ? "\r\033[K" : "", picture.width(),
                 picture.height(), result.image.width(), result.image.height(), result.infotext.c_str());
    return std::move(result.image);
  };
  return run_reported_batch([&](pipeline::Progress& progress, const pipeline::BatchListener& listener) {
    return pipeline::run_batch(inputs, work, output.value(), options, progress, listener);
  });
}

}  // namespace upres::cli
