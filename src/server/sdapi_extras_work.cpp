// run_extras, or a Lanczos downscale then run_extras at 1x; then the reference's text items.
#include "server/sdapi_extras_work.h"

#include <cmath>

#include "image/infotext.h"
#include "image/resample.h"
#include "pipeline/run_extras.h"
#include "server/job_queue.h"

namespace upres::server {
namespace {

class SdapiExtrasWork : public PictureWork {
 public:
  SdapiExtrasWork(pipeline::ExtrasRequest request, std::shared_ptr<pipeline::UpscalerRegistry> registry,
                  std::shared_ptr<pipeline::FaceModels> faces)
      : request_(std::move(request)), registry_(std::move(registry)), faces_(std::move(faces)) {}

  Status check(const image::Image& input, int64_t max_output_pixels) const override {
    if (is_downscale()) return Status::ok();  // smaller than the picture, which was in the limits
    return check_extras_output_size(input, request_, max_output_pixels);
  }

  Result<pipeline::ExtrasResult> run(const image::Image& input,
                                     pipeline::Progress& progress) const override {
    UPRES_ASSIGN_OR_RETURN(pipeline::ExtrasResult result,
                           is_downscale() ? downscale(input, progress)
                                          : pipeline::run_extras(input, request_, *registry_, progress,
                                                                 faces_.get()));
    set_reference_api_text(result, input.metadata);
    return result;
  }

 private:
  bool is_downscale() const {
    return request_.resize_mode == pipeline::ResizeMode::kScaleBy && request_.scale < 1;
  }

  Result<pipeline::ExtrasResult> downscale(const image::Image& input, pipeline::Progress& progress) const {
    // The rest of the run (faces) as the pipeline does it, at 1x and without upscalers.
    pipeline::ExtrasRequest rest = request_;
    rest.scale = 1;
    rest.upscaler_1 = "None";
    rest.upscaler_2 = "None";
    if (request_.upscaler_1 == "None")  // the reference leaves the picture as it is
      return pipeline::run_extras(input, rest, *registry_, progress, faces_.get());
    const int width = std::max(1, static_cast<int>(std::lround(input.width() * request_.scale)));
    const int height = std::max(1, static_cast<int>(std::lround(input.height() * request_.scale)));
    progress.report({"Lanczos", 0, 1});
    const image::Image resized = image::resize(input, width, height, image::ResampleFilter::kLanczos);
    progress.report({"Lanczos", 1, 1});
    UPRES_ASSIGN_OR_RETURN(pipeline::ExtrasResult result,
                           pipeline::run_extras(resized, rest, *registry_, progress, faces_.get()));
    // The upscale items first, as the reference's script order writes them.
    image::InfotextItems items;
    image::set_infotext_item(items, "Postprocess upscale by", image::format_infotext_number(request_.scale));
    image::set_infotext_item(items, "Postprocess upscaler", request_.upscaler_1);
    if (request_.upscaler_2 != "None" && request_.upscaler_2_visibility > 0)
      image::set_infotext_item(items, "Postprocess upscaler 2", request_.upscaler_2);
    for (auto& [key, value] : image::parse_infotext(result.infotext)) image::set_infotext_item(items, key, value);
    result.infotext = image::format_infotext(items);
    return result;
  }

  // The source's text items in order with `parameters` moved last, then `postprocessing` (in
  // place when the source had one, as a Python dict assignment keeps the key's position).
  static void set_reference_api_text(pipeline::ExtrasResult& result, const image::ImageMetadata& source) {
    std::vector<std::pair<std::string, std::string>> text;
    const std::string* parameters = nullptr;
    for (const auto& item : source.text) {
      if (item.first == "parameters")
        parameters = &item.second;
      else
        text.push_back(item);
    }
    if (parameters && !parameters->empty()) text.emplace_back("parameters", *parameters);
    result.image.metadata.text = std::move(text);
    result.image.metadata.set_text("postprocessing", result.infotext);
  }

  pipeline::ExtrasRequest request_;
  std::shared_ptr<pipeline::UpscalerRegistry> registry_;
  std::shared_ptr<pipeline::FaceModels> faces_;
};

}  // namespace

std::shared_ptr<const PictureWork> make_sdapi_extras_work(
    pipeline::ExtrasRequest request, std::shared_ptr<pipeline::UpscalerRegistry> registry,
    std::shared_ptr<pipeline::FaceModels> faces) {
  return std::make_shared<SdapiExtrasWork>(std::move(request), std::move(registry), std::move(faces));
}

}  // namespace upres::server
