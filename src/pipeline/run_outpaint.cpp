#include "pipeline/run_outpaint.h"

#include <cstdio>

#include <mutex>

#include "image/image_codec.h"
#include "models/lama/lama_runner.h"
#include "outpaint/lama_fill.h"
#include "outpaint/outpaint.h"
#include "store/model_store.h"

namespace upres::pipeline {

namespace {

// big-lama from the model store (downloaded on first use, sha256 checked), loaded once per process:
// the CLI's early check and every picture of a batch share it.
Result<std::shared_ptr<models::lama::LamaRunner>> lama_runner() {
  static std::mutex mutex;
  static std::shared_ptr<models::lama::LamaRunner> runner;
  std::lock_guard<std::mutex> lock(mutex);
  if (runner) return runner;
  const store::ModelStore store(store::ModelStoreOptions::from_environment());
  UPRES_ASSIGN_OR_RETURN(const store::ModelListing listing, store.find("big-lama"));
  auto resolved = store.resolve("big-lama", store::Downloader());
  if (!resolved.is_ok() || resolved->files.empty()) {
    return Status(resolved.is_ok() ? StatusCode::kNotFound : resolved.status().code(),
                  "--fill lama needs big-lama's weights: download " + listing.url + " to " +
                      (listing.files.empty() ? std::string("models/LaMa/") : listing.files[0].string()) +
                      (resolved.is_ok() ? std::string() : " (" + resolved.status().message() + ")"));
  }
  UPRES_ASSIGN_OR_RETURN(runner, models::lama::LamaRunner::load(resolved->files[0]));
  return runner;
}

}  // namespace

Result<std::unique_ptr<outpaint::BorderFill>> make_border_fill(const outpaint::FillSettings& settings) {
  if (settings.engine != outpaint::FillEngine::kLama) return outpaint::make_builtin_fill(settings);
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<models::lama::LamaRunner> runner, lama_runner());
  outpaint::LamaTiling tiling;
  tiling.size_multiple = runner->generator().size_multiple();
  return std::unique_ptr<outpaint::BorderFill>(new outpaint::LamaFill(
      settings, [runner](const float* input, int height, int width, float* output) {
        return runner->run(input, height, width, output);
      },
      tiling));
}

Result<image::Image> outpaint_picture(const image::Image& input, const outpaint::CanvasPlan& plan,
                                      const outpaint::FillSettings& settings, Progress& progress) {
  UPRES_ASSIGN_OR_RETURN(std::unique_ptr<outpaint::BorderFill> fill, make_border_fill(settings));
  outpaint::FillContext context;
  const std::string stage = std::string(outpaint::fill_engine_label(settings.engine)) + " outpaint";
  context.on_progress = [&](long done, long total) { progress.report({stage, done, total}); };
  context.cancel = &progress.cancel_flag();
  return outpaint::outpaint(input, plan, *fill, context);
}

void add_outpaint_infotext(image::InfotextItems& items, const outpaint::CanvasPlan& plan,
                           const outpaint::FillSettings& settings) {
  const outpaint::Borders added = plan.added();
  image::set_infotext_item(items, "Postprocess outpaint to", std::to_string(plan.width) + "x" + std::to_string(plan.height));
  image::set_infotext_item(items, "Postprocess outpaint expand",
                           std::to_string(added.left) + "," + std::to_string(added.top) + "," +
                               std::to_string(added.right) + "," + std::to_string(added.bottom));
  image::set_infotext_item(items, "Postprocess outpaint fill", std::string(outpaint::fill_engine_label(settings.engine)));
  image::set_infotext_item(items, "Postprocess outpaint mask blur", std::to_string(settings.mask_blur_px));
  if (settings.engine == outpaint::FillEngine::kPatchMatch)
    image::set_infotext_item(items, "Postprocess outpaint seed", std::to_string(settings.seed));
  if (settings.engine == outpaint::FillEngine::kColor && settings.color) {
    char hex[16];
    const auto& c = *settings.color;
    std::snprintf(hex, sizeof hex, "#%02x%02x%02x%02x", int(c[0] * 255 + 0.5f), int(c[1] * 255 + 0.5f),
                  int(c[2] * 255 + 0.5f), int(c[3] * 255 + 0.5f));
    image::set_infotext_item(items, "Postprocess outpaint color", hex);
  }
}

Result<ExtrasResult> run_outpaint(const image::Image& input, const OutpaintRequest& request, Progress& progress) {
  UPRES_RETURN_IF_ERROR(request.validate());
  UPRES_ASSIGN_OR_RETURN(outpaint::CanvasPlan plan, outpaint::plan_canvas(input.width(), input.height(), request.canvas));
  ExtrasResult result;
  UPRES_ASSIGN_OR_RETURN(result.image, outpaint_picture(input, plan, request.fill, progress));
  image::InfotextItems items;
  add_outpaint_infotext(items, plan, request.fill);
  result.infotext = image::format_infotext(items);
  result.image.metadata.set_text("postprocessing", result.infotext);
  result.image.metadata.set_text("extras", result.infotext);
  return result;
}

Status check_outpaint_inputs(const InputList& inputs, const OutpaintRequest& request) {
  for (const InputItem& item : inputs.items) {
    if (!item.problem.is_ok()) continue;
    auto size = image::read_image_size(item.path);
    if (!size.is_ok()) continue;
    auto plan = outpaint::plan_canvas(size->first, size->second, request.canvas);
    if (!plan.is_ok()) return plan.status().with_context(item.path.string());
  }
  return Status::ok();
}

}  // namespace upres::pipeline
