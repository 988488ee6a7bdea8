#include "pipeline/batch_run.h"

#include "pipeline/run_extras.h"

namespace upres::pipeline {
namespace {

Result<std::filesystem::path> run_one(const std::filesystem::path& input, bool is_batch, const ItemWork& work,
                                      const OutputFolder& output, const BatchOptions& options,
                                      Progress& progress) {
  UPRES_ASSIGN_OR_RETURN(image::Image picture, image::read_image(input, options.limits));
  UPRES_ASSIGN_OR_RETURN(image::Image result, work(picture, progress));
  if (is_batch) return output.save_named(result, input.stem().string());
  return output.save_numbered(result);
}

// Prefixes the item's path unless the message names it already (decoder errors do).
Status with_path(const Status& status, const std::filesystem::path& path) {
  if (status.message().find(path.string()) != std::string::npos) return status;
  return status.with_context(path.string());
}

}  // namespace

BatchReport run_batch(const InputList& inputs, const ExtrasRequest& request,
                      UpscalerRegistry& registry, const OutputFolder& output,
                      const BatchOptions& options, Progress& progress,
                      const BatchListener& listener) {
  const ItemWork work = [&](const image::Image& picture, Progress& item_progress) -> Result<image::Image> {
    UPRES_ASSIGN_OR_RETURN(ExtrasResult result, run_extras(picture, request, registry, item_progress, options.faces));
    return std::move(result.image);
  };
  return run_batch(inputs, work, output, options, progress, listener);
}

BatchReport run_batch(const InputList& inputs, const ItemWork& work, const OutputFolder& output,
                      const BatchOptions& options, Progress& progress, const BatchListener& listener) {
  BatchReport report;
  const size_t count = inputs.items.size();
  for (size_t i = 0; i < count; ++i) {
    const InputItem& item = inputs.items[i];
    BatchOutcome outcome{item.path, {}, item.problem, false};
    if (listener.on_start) listener.on_start(i, count, item.path);
    if (progress.is_cancelled()) {
      outcome.status = cancelled("interrupted before " + item.path.string());
    } else if (outcome.status.is_ok()) {
      Result<bool> done = false;
      if (inputs.is_batch && options.skip_existing)
        done = options.is_done ? options.is_done(item) : output.has_result_for(item.path.stem().string());
      if (!done.is_ok()) {
        outcome.status = with_path(done.status(), item.path);
      } else if (done.value()) {
        outcome.is_skipped = true;
      } else {
        Result<std::filesystem::path> saved =
            run_one(item.path, inputs.is_batch, work, output, options, progress);
        if (saved.is_ok()) outcome.output = saved.value();
        else outcome.status = with_path(saved.status(), item.path);
      }
    }
    if (outcome.is_skipped) ++report.skipped;
    else if (outcome.status.is_ok()) ++report.succeeded;
    else ++report.failed;
    if (listener.on_done) listener.on_done(i, count, outcome);
    report.outcomes.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace upres::pipeline
