// JSON <-> the outpaint option table, and the outpaint PictureWork.
#include "server/outpaint_job.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/run_outpaint.h"

namespace upres::server {
namespace {

using nlohmann::json;
using pipeline::OutpaintOption;

// `message` with every outpaint CLI flag in it (a whole word) said as its JSON field, since an API
// user never typed "--aspect".
std::string in_json_terms(std::string message) {
  for (const OutpaintOption& option : pipeline::outpaint_options()) {
    const std::string flag(option.cli_flag);
    for (size_t at = message.find(flag); at != std::string::npos; at = message.find(flag, at)) {
      const size_t end = at + flag.size();
      if (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) {
        at = end;
        continue;
      }
      message.replace(at, flag.size(), option.json_name);
      at += option.json_name.size();
    }
  }
  return message;
}

// `status` with its message starting "<field>: ".
Status naming_field(const Status& status, std::string_view field) {
  if (status.is_ok()) return status;
  const std::string prefix = std::string(field) + ": ";
  if (status.message().rfind(prefix, 0) == 0) return status;
  return Status(status.code(), prefix + status.message());
}

std::string_view canvas_field(const outpaint::CanvasRequest& canvas) {
  switch (canvas.mode) {
    case outpaint::CanvasRequest::Mode::kAspect:
      return "outpaint_aspect";
    case outpaint::CanvasRequest::Mode::kSize:
      return "outpaint_to";
    case outpaint::CanvasRequest::Mode::kExpand:
      return "outpaint_expand";
  }
  return "outpaint_aspect";
}

// One scalar as the text the CLI parser takes: strings as they are, integral numbers without a
// decimal point (JavaScript may send 8.0), other numbers as JSON writes them (the parser says why
// they are wrong).
Result<std::string> scalar_text(const std::string& field, const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 1e15)
      return std::to_string(static_cast<long long>(number));
    return value.dump();
  }
  return invalid_argument(field + ": expected a string or a number");
}

Result<std::string> option_text(const OutpaintOption& option, const json& value) {
  const std::string field(option.json_name);
  if (!value.is_array()) return scalar_text(field, value);
  if (field != "outpaint_expand" && field != "outpaint_directions")
    return invalid_argument(field + ": expected a string or a number, not a list");
  std::string text;
  for (const json& item : value) {
    UPRES_ASSIGN_OR_RETURN(std::string part, scalar_text(field, item));
    text += (text.empty() ? "" : ",") + part;
  }
  return text;
}

class OutpaintWork final : public PictureWork {
 public:
  explicit OutpaintWork(pipeline::OutpaintRequest request) : request_(std::move(request)) {}

  Status check(const image::Image& input, int64_t max_output_pixels) const override {
    pipeline::OutpaintRequest request = request_;
    request.canvas.max_pixels = std::min(request.canvas.max_pixels, max_output_pixels);
    UPRES_RETURN_IF_ERROR(check_outpaint_canvas(request, input.width(), input.height()));
    // Once per job: an engine that cannot be made (LaMa without weights) fails as the option it
    // is, not as every picture's error.
    std::call_once(fill_checked_, [&] {
      fill_status_ = naming_field(pipeline::make_border_fill(request_.fill).status(), "outpaint_fill");
      fill_status_ = Status(fill_status_.code(), in_json_terms(fill_status_.message()));
    });
    return fill_status_;
  }

  Result<pipeline::ExtrasResult> run(const image::Image& input, pipeline::Progress& progress) const override {
    return pipeline::run_outpaint(input, request_, progress);
  }

 private:
  const pipeline::OutpaintRequest request_;
  mutable std::once_flag fill_checked_;
  mutable Status fill_status_;
};

}  // namespace

Result<pipeline::OutpaintRequest> parse_outpaint_options(const json& body, int64_t max_output_pixels) {
  if (!body.is_object()) return invalid_argument("options: expected a JSON object");
  pipeline::OutpaintRequest request;
  request.canvas.max_pixels = std::min(request.canvas.max_pixels, max_output_pixels);
  std::vector<std::string_view> canvas_fields;
  for (const OutpaintOption& option : pipeline::outpaint_options()) {
    auto it = body.find(std::string(option.json_name));
    if (it == body.end() || it->is_null()) continue;
    UPRES_ASSIGN_OR_RETURN(std::string text, option_text(option, *it));
    const int asks_before = request.canvas_asks;
    Status set = pipeline::set_outpaint_option(request, option, text);
    if (!set.is_ok()) return naming_field(Status(set.code(), in_json_terms(set.message())), option.json_name);
    if (request.canvas_asks != asks_before) canvas_fields.push_back(option.json_name);
  }
  if (canvas_fields.empty())
    return invalid_argument(
        "outpaint_aspect: say how to grow the canvas: give outpaint_aspect (e.g. \"16:9\"), outpaint_to "
        "(e.g. \"1920x1080\") or outpaint_expand (\"LEFT,TOP,RIGHT,BOTTOM\")");
  if (canvas_fields.size() > 1)
    return invalid_argument(std::string(canvas_fields[1]) + ": give only one of outpaint_aspect, outpaint_to and " +
                            "outpaint_expand (" + std::string(canvas_fields[0]) + " is given too)");
  if (Status valid = request.validate(); !valid.is_ok())
    return Status(valid.code(), in_json_terms(valid.message()));  // starts with the flag: the field now
  return request;
}

json outpaint_options_json() {
  json options = json::array();
  for (const OutpaintOption& option : pipeline::outpaint_options()) {
    options.push_back({{"name", option.json_name},
                       {"cli_flag", option.cli_flag},
                       {"help", option.help},
                       {"default", option.default_text}});
  }
  json engines = json::array();
  for (outpaint::FillEngine engine : {outpaint::FillEngine::kPatchMatch, outpaint::FillEngine::kLama,
                                      outpaint::FillEngine::kEdge, outpaint::FillEngine::kMirror,
                                      outpaint::FillEngine::kColor}) {
    engines.push_back({{"name", outpaint::fill_engine_name(engine)}, {"label", outpaint::fill_engine_label(engine)}});
  }
  return {{"options", options}, {"fill_engines", engines}};
}

Status check_outpaint_canvas(const pipeline::OutpaintRequest& request, int width, int height) {
  auto plan = outpaint::plan_canvas(width, height, request.canvas);
  if (plan.is_ok()) return Status::ok();
  const Status& status = plan.status();
  // Plan messages say "--directions" where a side was refused; the rest is plain words.
  std::string message = status.message();
  for (size_t at = message.find("--directions"); at != std::string::npos; at = message.find("--directions", at))
    message.replace(at, 12, "outpaint_directions");
  return naming_field(Status(status.code(), message), canvas_field(request.canvas));
}

std::shared_ptr<const PictureWork> make_outpaint_work(pipeline::OutpaintRequest request) {
  return std::make_shared<OutpaintWork>(std::move(request));
}

}  // namespace upres::server
