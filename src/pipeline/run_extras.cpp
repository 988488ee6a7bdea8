#include "pipeline/run_extras.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "image/image_ops.h"
#include "image/infotext.h"
#include "pipeline/face_restoration.h"
#include "pipeline/run_outpaint.h"

namespace upres::pipeline {
namespace {

// The reference's order for a saved result's text (postprocessing.py): read_info_from_image pops
// `parameters` and the run adds it back after the source's other items (an empty one is dropped);
// then come `postprocessing` and `extras` (in place where the source had them, as a dict keeps).
void move_parameters_last(image::ImageMetadata& metadata) {
  auto parameters = std::find_if(metadata.text.begin(), metadata.text.end(),
                                 [](const auto& item) { return item.first == "parameters"; });
  if (parameters == metadata.text.end()) return;
  auto item = std::move(*parameters);
  metadata.text.erase(parameters);
  if (!item.second.empty()) metadata.text.push_back(std::move(item));
}

// Saturates instead of overflowing: any factor > 0 is accepted (as the reference does) and
// check_result_size refuses what no picture can hold.
int scaled_length(int length, double factor) {
  const double scaled = std::round(length * factor);
  return static_cast<int>(std::clamp(scaled, 1.0, static_cast<double>(std::numeric_limits<int>::max())));
}

// Past 65535 px a side no encoder upres has writes (JPEG's limit), and past 2^30 pixels a result
// needs tens of GB on the way: refused before anything is allocated.
constexpr int64_t kMaxResultSide = 65535;
constexpr int64_t kMaxResultPixels = int64_t{1} << 30;

Status check_result_size(const OutputSize& size, const ExtrasRequest& request) {
  const int64_t width = std::max(size.upscaled_width, size.final_width);
  const int64_t height = std::max(size.upscaled_height, size.final_height);
  if (width <= kMaxResultSide && height <= kMaxResultSide && width * height <= kMaxResultPixels) return Status::ok();
  const char* asked = request.resize_mode == ResizeMode::kScaleBy ? "scale" : "target size";
  return resource_exhausted(std::string(asked) + ": the result would be " + std::to_string(width) + "x" + std::to_string(height) +
                            ", more than upres makes (sides up to " + std::to_string(kMaxResultSide) + " px, " +
                            std::to_string(kMaxResultPixels) + " pixels in all)");
}

// Runs one upscaler on the original and applies the crop to fit, if asked.
Result<image::Image> upscale_once(const image::Image& input, const ExtrasRequest& request,
                                  Upscaler& upscaler, Progress& progress) {
  const OutputSize size = compute_output_size(input.width(), input.height(), request);
  UPRES_RETURN_IF_ERROR(check_result_size(size, request));
  UPRES_ASSIGN_OR_RETURN(image::Image out,
                         upscaler.upscale(input, size.upscaled_width, size.upscaled_height, progress));
  if (request.resize_mode == ResizeMode::kScaleTo && request.crop_to_fit && !request.outpaint_to_fit) {
    // Centred as the reference UI pastes: offset = upscaled/2 - target/2.
    int left = out.width() / 2 - size.final_width / 2;
    int top = out.height() / 2 - size.final_height / 2;
    out = image::crop(out, left, top, size.final_width, size.final_height);
  }
  return out;
}

// One face restorer over the whole picture, blended in with `visibility` as the reference UI's
// Image.blend does (pixels outside the faces' masks are unchanged either way).
Status restore_faces_step(image::Image& picture, FaceRestorerKind kind, double visibility,
                          const ExtrasRequest& request, FaceModels& faces, Progress& progress) {
  UPRES_ASSIGN_OR_RETURN(FaceDetector* detector, faces.detector());
  UPRES_ASSIGN_OR_RETURN(models::FaceRestorer* restorer, faces.restorer(kind));
  UPRES_ASSIGN_OR_RETURN(models::ParseNet* parser, faces.parser());
  FaceRestorationOptions options;
  options.only_center_face = faces.options().only_center_face;
  options.detect.backend = faces.options().backend;
  options.restore.backend = faces.options().backend;
  options.restore.fidelity_weight = static_cast<float>(request.codeformer_weight);
  UPRES_ASSIGN_OR_RETURN(options.restore.compute_dtype, faces.restore_dtype(kind));
  options.stage = std::string(face_restorer_label(kind)) + " face";
  UPRES_ASSIGN_OR_RETURN(RestoredFaces restored, restore_faces(picture, *detector, *restorer, options, progress, parser));
  picture = image::blend(picture, restored.picture, static_cast<float>(visibility));
  return Status::ok();
}

}  // namespace

OutputSize compute_output_size(int width, int height, const ExtrasRequest& request) {
  OutputSize size;
  if (request.resize_mode == ResizeMode::kScaleBy) {
    size.upscaled_width = scaled_length(width, request.scale);
    size.upscaled_height = scaled_length(height, request.scale);
    size.final_width = size.upscaled_width;
    size.final_height = size.upscaled_height;
    return size;
  }
  if (request.outpaint_to_fit) {  // fit inside the box; the outpaint grows the rest
    const double factor = std::min(static_cast<double>(request.target_width) / width,
                                   static_cast<double>(request.target_height) / height);
    size.upscaled_width = std::min(request.target_width, scaled_length(width, factor));
    size.upscaled_height = std::min(request.target_height, scaled_length(height, factor));
    size.final_width = request.target_width;
    size.final_height = request.target_height;
    return size;
  }
  // Scale to: cover the box with the aspect kept. Unlike the reference UI we do not floor the
  // size to a multiple of 8, which there leaves black bars after the crop.
  const double factor = std::max(static_cast<double>(request.target_width) / width,
                                 static_cast<double>(request.target_height) / height);
  size.upscaled_width = std::max(request.target_width, scaled_length(width, factor));
  size.upscaled_height = std::max(request.target_height, scaled_length(height, factor));
  size.final_width = request.crop_to_fit ? request.target_width : size.upscaled_width;
  size.final_height = request.crop_to_fit ? request.target_height : size.upscaled_height;
  return size;
}

Status check_capabilities(const ExtrasRequest& request, const FaceModels* faces) {
  const std::pair<const char*, double> uses[] = {{"gfpgan_visibility", request.gfpgan_visibility},
                                                 {"codeformer_visibility", request.codeformer_visibility}};
  for (const auto& [field, visibility] : uses) {
    if (visibility <= 0) continue;
    if (faces == nullptr)
      return invalid_argument(std::string(field) + ": face restoration is not set up here (no face models)");
    const FaceRestorerKind kind = field[0] == 'g' ? FaceRestorerKind::kGfpgan : FaceRestorerKind::kCodeFormer;
    UPRES_RETURN_IF_ERROR(faces->check(kind));
  }
  return Status::ok();
}

Result<ExtrasResult> run_extras(const image::Image& input, const ExtrasRequest& request,
                                UpscalerRegistry& registry, Progress& progress, FaceModels* faces) {
  UPRES_RETURN_IF_ERROR(request.validate());
  UPRES_RETURN_IF_ERROR(check_capabilities(request, faces));
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<Upscaler> upscaler_1, registry.find(request.upscaler_1));
  UPRES_ASSIGN_OR_RETURN(std::shared_ptr<Upscaler> upscaler_2, registry.find(request.upscaler_2));

  ExtrasResult result;
  result.image = input;
  image::InfotextItems items;
  if (upscaler_1) {  // "None" as upscaler 1 leaves the picture as it is, as the reference UI does
    if (request.resize_mode == ResizeMode::kScaleBy) {
      image::set_infotext_item(items, "Postprocess upscale by", image::format_infotext_number(request.scale));
    } else {
      image::set_infotext_item(items, "Postprocess upscale to",
               std::to_string(request.target_width) + "x" + std::to_string(request.target_height));
    }
    UPRES_ASSIGN_OR_RETURN(result.image, upscale_once(input, request, *upscaler_1, progress));
    const bool outpaints = request.resize_mode == ResizeMode::kScaleTo && request.outpaint_to_fit;
    if (request.resize_mode == ResizeMode::kScaleTo && request.crop_to_fit && !outpaints)
      image::set_infotext_item(items, "Postprocess crop to",
               std::to_string(result.image.width()) + "x" + std::to_string(result.image.height()));
    outpaint::CanvasPlan plan;
    if (outpaints) {  // planned here so its items sit where the crop's would; run after the blend
      outpaint::CanvasRequest canvas;
      canvas.mode = outpaint::CanvasRequest::Mode::kSize;
      canvas.width = request.target_width;
      canvas.height = request.target_height;
      canvas.max_pixels = int64_t{request.target_width} * request.target_height;
      UPRES_ASSIGN_OR_RETURN(plan, outpaint::plan_canvas(result.image.width(), result.image.height(), canvas));
      add_outpaint_infotext(items, plan, request.outpaint_fill);
    }
    image::set_infotext_item(items, "Postprocess upscaler", upscaler_1->name());
    if (upscaler_2 && request.upscaler_2_visibility > 0) {
      UPRES_ASSIGN_OR_RETURN(image::Image second,
                             upscale_once(input, request, *upscaler_2, progress));
      result.image = image::blend(result.image, second,
                                  static_cast<float>(request.upscaler_2_visibility));
      image::set_infotext_item(items, "Postprocess upscaler 2", upscaler_2->name());
    }
    if (outpaints) {
      UPRES_ASSIGN_OR_RETURN(result.image, outpaint_picture(result.image, plan, request.outpaint_fill, progress));
    }
  }
  if (request.gfpgan_visibility > 0) {
    UPRES_RETURN_IF_ERROR(restore_faces_step(result.image, FaceRestorerKind::kGfpgan,
                                             request.gfpgan_visibility, request, *faces, progress));
    image::set_infotext_item(items, "GFPGAN visibility", image::format_infotext_number(request.gfpgan_visibility));
  }
  if (request.codeformer_visibility > 0) {
    UPRES_RETURN_IF_ERROR(restore_faces_step(result.image, FaceRestorerKind::kCodeFormer,
                                             request.codeformer_visibility, request, *faces, progress));
    image::set_infotext_item(items, "CodeFormer visibility", image::format_infotext_number(request.codeformer_visibility));
    image::set_infotext_item(items, "CodeFormer weight", image::format_infotext_number(request.codeformer_weight));
  }
  result.image.metadata = input.metadata;
  move_parameters_last(result.image.metadata);
  result.infotext = image::format_infotext(items);
  if (!result.infotext.empty()) {
    result.image.metadata.set_text("postprocessing", result.infotext);
    result.image.metadata.set_text("extras", result.infotext);
  }
  return result;
}

}  // namespace upres::pipeline
