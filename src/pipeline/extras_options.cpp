#include "pipeline/extras_options.h"

#include <cmath>
#include <sstream>

namespace upres::pipeline {
namespace {

// Any factor is taken, as the reference API takes any > 0: what a factor makes is bounded by the
// caller's output pixel limit, which names the size. This bound only keeps picture sides (a
// 65535-pixel input times the factor) within int, whatever the caller checks.
constexpr double kMaxScaleFactor = 32767;

constexpr ExtrasOption kOptions[] = {
    {"resize_mode", "", "Resize mode", "0 = scale by upscaling_resize, 1 = scale to width x height",
     OptionKind::kResizeMode, 0, 1, 1, 0, 0, "", ""},
    {"upscaling_resize", "--scale", "Scale by", "factor to enlarge by (fractional)",
     OptionKind::kNumber, 1, kMaxScaleFactor, 0.05, 4, 2, "", "", 16},
    {"upscaling_resize_w", "", "Width", "target width in pixels (scale to)",
     OptionKind::kInteger, 1, 65535, 8, 512, 512, "", ""},
    {"upscaling_resize_h", "", "Height", "target height in pixels (scale to)",
     OptionKind::kInteger, 1, 65535, 8, 512, 512, "", ""},
    {"upscaling_crop", "--crop", "Crop to fit", "scale to: centre-crop to exactly width x height",
     OptionKind::kBool, 0, 1, 1, 0, 1, "", ""},
    {"upscaler_1", "--upscaler", "Upscaler 1", "the upscaler to run",
     OptionKind::kUpscalerName, 0, 0, 0, 0, 0, "Lanczos", "None"},
    {"upscaler_2", "--upscaler2", "Upscaler 2", "a second upscaler, run on the same original and blended in",
     OptionKind::kUpscalerName, 0, 0, 0, 0, 0, "None", "None"},
    {"extras_upscaler_2_visibility", "--visibility2", "Upscaler 2 visibility",
     "0 = upscaler 1 only, 1 = upscaler 2 only", OptionKind::kNumber, 0, 1, 0.001, 0, 0, "", ""},
    {"gfpgan_visibility", "--gfpgan", "GFPGAN visibility", "blend of the GFPGAN-restored faces (0 = off)",
     OptionKind::kNumber, 0, 1, 0.001, 0, 0, "", ""},
    {"codeformer_visibility", "--codeformer", "CodeFormer visibility",
     "blend of the CodeFormer-restored faces (0 = off)", OptionKind::kNumber, 0, 1, 0.001, 0, 0, "", ""},
    {"codeformer_weight", "--codeformer-weight", "CodeFormer weight",
     "0 = maximum effect, 1 = minimum effect", OptionKind::kNumber, 0, 1, 0.001, 0, 0, "", ""},
};

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

Status out_of_range(const ExtrasOption& option, double value) {
  return invalid_argument(std::string(option.json_name) + ": " + format_number(value) +
                          " is out of range [" + format_number(option.min_value) + ", " +
                          format_number(option.max_value) + "]");
}

Status wrong_kind(const ExtrasOption& option, std::string_view expected) {
  return invalid_argument(std::string(option.json_name) + ": expected " + std::string(expected));
}

ExtrasRequest request_with_defaults(bool api) {
  ExtrasRequest request;
  for (const ExtrasOption& option : kOptions) {
    OptionValue value;
    double number = api ? option.api_default : option.cli_default;
    switch (option.kind) {
      case OptionKind::kBool: value = number != 0; break;
      case OptionKind::kUpscalerName:
        value = std::string(api ? option.api_default_text : option.cli_default_text);
        break;
      default: value = number; break;
    }
    Status status = set_extras_option(request, option, value);
    (void)status;  // the table's defaults are in range; extras_options_test checks it
  }
  return request;
}

}  // namespace

std::span<const ExtrasOption> extras_options() { return kOptions; }

const ExtrasOption* find_extras_option(std::string_view json_name) {
  for (const ExtrasOption& option : kOptions)
    if (option.json_name == json_name) return &option;
  return nullptr;
}

Status set_extras_option(ExtrasRequest& request, const ExtrasOption& option, const OptionValue& value) {
  const std::string_view name = option.json_name;
  if (option.kind == OptionKind::kUpscalerName) {
    const std::string* text = std::get_if<std::string>(&value);
    if (!text) return wrong_kind(option, "an upscaler name (string)");
    (name == "upscaler_1" ? request.upscaler_1 : request.upscaler_2) = *text;
    return Status::ok();
  }
  if (option.kind == OptionKind::kBool) {
    const bool* flag = std::get_if<bool>(&value);
    if (!flag) return wrong_kind(option, "true or false");
    request.crop_to_fit = *flag;
    return Status::ok();
  }
  const double* number = std::get_if<double>(&value);
  if (!number || !std::isfinite(*number)) return wrong_kind(option, "a number");
  if (*number < option.min_value || *number > option.max_value) return out_of_range(option, *number);
  if (option.kind != OptionKind::kNumber && *number != std::floor(*number))
    return wrong_kind(option, "an integer");
  if (name == "resize_mode") request.resize_mode = static_cast<ResizeMode>(static_cast<int>(*number));
  else if (name == "upscaling_resize") request.scale = *number;
  else if (name == "upscaling_resize_w") request.target_width = static_cast<int>(*number);
  else if (name == "upscaling_resize_h") request.target_height = static_cast<int>(*number);
  else if (name == "extras_upscaler_2_visibility") request.upscaler_2_visibility = *number;
  else if (name == "gfpgan_visibility") request.gfpgan_visibility = *number;
  else if (name == "codeformer_visibility") request.codeformer_visibility = *number;
  else if (name == "codeformer_weight") request.codeformer_weight = *number;
  else return internal_error("extras option without a field: " + std::string(name));
  return Status::ok();
}

ExtrasRequest default_cli_request() { return request_with_defaults(false); }
ExtrasRequest default_api_request() { return request_with_defaults(true); }

Status ExtrasRequest::validate() const {
  auto check = [](std::string_view name, double value) -> Status {
    const ExtrasOption* option = find_extras_option(name);
    if (value < option->min_value || value > option->max_value) return out_of_range(*option, value);
    return Status::ok();
  };
  if (resize_mode == ResizeMode::kScaleBy) UPRES_RETURN_IF_ERROR(check("upscaling_resize", scale));
  if (resize_mode == ResizeMode::kScaleTo) {
    UPRES_RETURN_IF_ERROR(check("upscaling_resize_w", target_width));
    UPRES_RETURN_IF_ERROR(check("upscaling_resize_h", target_height));
  }
  UPRES_RETURN_IF_ERROR(check("extras_upscaler_2_visibility", upscaler_2_visibility));
  UPRES_RETURN_IF_ERROR(check("gfpgan_visibility", gfpgan_visibility));
  UPRES_RETURN_IF_ERROR(check("codeformer_visibility", codeformer_visibility));
  UPRES_RETURN_IF_ERROR(check("codeformer_weight", codeformer_weight));
  return Status::ok();
}

}  // namespace upres::pipeline
