// /sdapi/v1 handlers: validated JSON in, job queue, JSON out.
#include "server/sdapi_routes.h"

#include <algorithm>
#include <ctime>

#include "image/exif_block.h"
#include "image/image_codec.h"
#include "pipeline/extras_options.h"
#include "server/base64.h"
#include "server/infotext_parameters.h"
#include "server/json_response.h"
#include "server/request_validation.h"
#include "server/sdapi_extras_work.h"
#include "server/sdapi_extras_request.h"

namespace upres::server {
namespace {

using nlohmann::json;

struct SdapiRoute {
  const char* path;
  const char* method;
};
constexpr SdapiRoute kRoutes[] = {
    {"/sdapi/v1/extra-single-image", "POST"}, {"/sdapi/v1/extra-batch-images", "POST"},
    {"/sdapi/v1/upscalers", "GET"},           {"/sdapi/v1/face-restorers", "GET"},
    {"/sdapi/v1/progress", "GET"},            {"/sdapi/v1/png-info", "POST"},
    {"/sdapi/v1/interrupt", "POST"},          {"/sdapi/v1/skip", "POST"},
};

// html.escape over each line, joined with "<br>\n", in <p>: the reference's plaintext_to_html.
std::string plaintext_to_html(std::string_view text) {
  std::string out = "<p>";
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      case '\n': out += "<br>\n"; break;
      default: out += c;
    }
  }
  return out + "</p>";
}

// An image field's bytes. The reference answers an undecodable one with 500 "Invalid encoded
// image"; this answers 400 with that detail and the reason in "errors".
bool read_image_field(const std::string& text, const std::string& field,
                      std::vector<uint8_t>* bytes, httplib::Response& response) {
  auto decoded = decode_base64(text, field);
  Status problem = decoded.is_ok() && decoded->empty()
                       ? corrupt(field + ": empty image")
                       : (decoded.is_ok() ? Status::ok() : decoded.status());
  if (problem.is_ok()) {
    *bytes = std::move(decoded).value();
    return true;
  }
  send_json(response,
            {{"error", "HTTPException"}, {"detail", "Invalid encoded image"}, {"body", ""},
             {"errors", problem.message()}, {"field", field}},
            400);
  return false;
}

bool is_downscale(const pipeline::ExtrasRequest& request) {
  return request.resize_mode == pipeline::ResizeMode::kScaleBy && request.scale < 1;
}

// Upscaler names and face models, which the reference checks only while running (500).
Status check_runnable(const RouteContext& context, const pipeline::ExtrasRequest& request) {
  for (const auto& [field, name] : {std::pair{"upscaler_1", request.upscaler_1},
                                    std::pair{"upscaler_2", request.upscaler_2}}) {
    bool known = false;
    std::string valid;
    for (const pipeline::UpscalerEntry& entry : context.registry->entries()) {
      known |= entry.name == name;
      valid += (valid.empty() ? "" : ", ") + entry.name;
    }
    if (!known)
      return invalid_argument(std::string(field) + ": could not find upscaler named " + name +
                              " (valid: " + valid + ")");
  }
  pipeline::ExtrasRequest ranged = request;
  if (is_downscale(request)) ranged.scale = 1;  // run by a downscale work, not the pipeline's range
  // Any factor is taken, as the reference does; one past the table's bound makes a picture over
  // the output pixel limit, which refuses it per picture with the size (413).
  const double max_scale = pipeline::find_extras_option("upscaling_resize")->max_value;
  if (request.resize_mode == pipeline::ResizeMode::kScaleBy) ranged.scale = std::min(ranged.scale, max_scale);
  UPRES_RETURN_IF_ERROR(ranged.validate());
  return pipeline::check_capabilities(request, context.options->faces.get());
}

// The finished job, or false after answering the error. An interrupted job answers 200 with the
// pictures finished before it, as the reference does; a skipped picture is left out.
bool run_and_wait(const RouteContext& context, JobSpec spec, JobSnapshot* out,
                  httplib::Response& response) {
  auto id = context.queue->submit(std::move(spec));
  if (!id.is_ok()) {
    send_error(response, id.status(), 503);
    return false;
  }
  auto done = context.queue->wait_until_finished(*id);
  if (!done) {
    send_error(response, internal_error("job " + *id + " vanished"), 500);
    return false;
  }
  if (!done->is_finished()) {
    send_error(response, resource_exhausted("server: shutting down"), 503);
    return false;
  }
  const bool interrupted = done->state == JobState::kCancelled &&
                           done->error.message().find("time limit") == std::string::npos;
  if (done->state != JobState::kDone && !interrupted) {
    send_error(response, done->error);
    return false;
  }
  for (const JobFailure& failure : done->failures) {
    if (failure.status.code() == StatusCode::kCancelled) continue;  // skipped or interrupted
    const int code = http_status_for(failure.status);
    send_error(response, failure.status, code >= 500 ? 400 : code);  // the picture's fault
    return false;
  }
  *out = std::move(done).value();
  return true;
}

// Reads the body and the extras fields; false after answering 422 or 400.
bool read_extras(const RouteContext& context, const httplib::Request& request,
                 ExtrasEndpoint endpoint, SdapiExtrasRequest* out, httplib::Response& response) {
  ValidationErrors errors;
  auto body = read_json_object_body(request.body, request.get_header_value("Content-Type"), errors);
  std::optional<SdapiExtrasRequest> parsed;
  if (body) parsed = read_sdapi_extras_request(*body, endpoint, errors);
  if (!errors.empty()) {
    send_json(response, errors.body(), 422);
    return false;
  }
  if (Status runnable = check_runnable(context, parsed->request); !runnable.is_ok()) {
    send_error(response, runnable, 422);
    return false;
  }
  *out = std::move(parsed).value();
  return true;
}

JobSpec extras_job(const RouteContext& context, const SdapiExtrasRequest& request) {
  JobSpec spec;
  spec.request = request.request;
  if (is_downscale(request.request)) spec.request.scale = 1;  // the work does the real size
  spec.work = make_sdapi_extras_work(request.request, context.registry, context.options->faces);
  spec.encode.format = image::ImageFormat::kPng;
  return spec;
}

void extra_single_image(const RouteContext& context, const httplib::Request& request,
                        httplib::Response& response) {
  SdapiExtrasRequest extras;
  if (!read_extras(context, request, ExtrasEndpoint::kSingleImage, &extras, response)) return;
  JobSpec spec = extras_job(context, extras);
  JobInput input{"image", {}, {}};
  if (!read_image_field(extras.image, "image", &input.bytes, response)) return;
  spec.inputs.push_back(std::move(input));
  JobSnapshot done;
  if (!run_and_wait(context, std::move(spec), &done, response)) return;
  if (done.results.empty())  // interrupted or skipped: no picture, as ExtrasSingleImageResponse allows
    return send_json(response, {{"html_info", plaintext_to_html("")}, {"image", nullptr}});
  const JobResult& result = *done.results.front();
  send_json(response, {{"html_info", plaintext_to_html(result.infotext)},
                       {"image", encode_base64(result.encoded)}});
}

void extra_batch_images(const RouteContext& context, const httplib::Request& request,
                        httplib::Response& response) {
  SdapiExtrasRequest extras;
  if (!read_extras(context, request, ExtrasEndpoint::kBatchImages, &extras, response)) return;
  if (extras.image_list.empty())  // nothing to run: the reference answers at once
    return send_json(response, {{"html_info", plaintext_to_html("")}, {"images", json::array()}});
  if (extras.image_list.size() > context.options->max_batch_images) {
    return send_error(response, resource_exhausted(
                                    "imageList: more than " +
                                    std::to_string(context.options->max_batch_images) + " images"));
  }
  JobSpec spec = extras_job(context, extras);
  for (size_t i = 0; i < extras.image_list.size(); ++i) {
    const std::string field = "imageList[" + std::to_string(i) + "]";
    JobInput input{field, {}, {}};
    if (!read_image_field(extras.image_list[i], field, &input.bytes, response)) return;
    spec.inputs.push_back(std::move(input));
  }
  JobSnapshot done;
  if (!run_and_wait(context, std::move(spec), &done, response)) return;
  auto results = done.results;
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a->input_index < b->input_index; });
  json images = json::array();
  for (const auto& result : results) images.push_back(encode_base64(result->encoded));
  // The reference's html_info is the infotext of the last picture it processed.
  const std::string info = results.empty() ? "" : results.back()->infotext;
  send_json(response, {{"html_info", plaintext_to_html(info)}, {"images", images}});
}

void upscalers(const RouteContext& context, httplib::Response& response) {
  json list = json::array();
  for (const pipeline::UpscalerEntry& entry : context.registry->entries()) {
    list.push_back(
        {{"name", entry.name},
         {"model_name", entry.model_path.empty() ? json(nullptr) : json(entry.name)},
         {"model_path", entry.model_path.empty() ? json(nullptr) : json(entry.model_path)},
         {"model_url", nullptr},
         {"scale", entry.scale > 0 ? json(entry.scale) : json(nullptr)}});
  }
  send_json(response, list);
}

void face_restorers(const RouteContext& context, httplib::Response& response) {
  const auto& dir = context.options->models_dir;
  json cmd_dir = dir.empty() ? json(nullptr) : json(dir.string());
  send_json(response, json::array({{{"name", "CodeFormer"}, {"cmd_dir", cmd_dir}},
                                   {{"name", "GFPGAN"}, {"cmd_dir", cmd_dir}}}));
}

std::string format_timestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  localtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &parts);
  return text;
}

// The step being worked on, e.g. "R-ESRGAN 4x+ tile 3/12", "GFPGAN face 1/2".
std::string step_text(const RunningProgress& running) {
  if (running.step_total <= 0) return running.stage;
  return running.stage + " " + std::to_string(running.step_done) + "/" +
         std::to_string(running.step_total);
}

// GET /sdapi/v1/progress?skip_current_image=false, with the reference's formula: 0.01 +
// job_no / job_count + the current picture's share, the share here being its tiles or faces.
void progress(const RouteContext& context, const httplib::Request& request,
              httplib::Response& response) {
  bool skip_current_image = false;
  if (request.has_param("skip_current_image")) {
    const json query = {{"skip_current_image", request.get_param_value("skip_current_image")}};
    ValidationErrors errors;
    auto flag = read_bool(FieldRef{query, "skip_current_image",
                                   json::array({"query", "skip_current_image"})},
                          errors);
    if (!flag) return send_json(response, errors.body(), 422);
    skip_current_image = *flag;
  }
  json state = {{"skipped", false},     {"interrupted", false}, {"stopping_generation", false},
                {"job", ""},            {"job_count", 0},       {"job_timestamp", "0"},
                {"job_no", 0},          {"sampling_step", 0},   {"sampling_steps", 0}};
  auto running = context.queue->running_progress(!skip_current_image);
  if (!running || running->image_count == 0) {
    return send_json(response, {{"progress", 0},
                                {"eta_relative", 0},
                                {"state", state},
                                {"current_image", nullptr},
                                {"textinfo", nullptr}});
  }
  const double count = static_cast<double>(running->image_count);
  double fraction = 0.01 + static_cast<double>(running->images_done) / count;
  if (running->step_total > 0)
    fraction += 1.0 / count * static_cast<double>(running->step_done) / running->step_total;
  const double eta = running->elapsed_s / fraction - running->elapsed_s;
  state["skipped"] = running->skipped;
  state["interrupted"] = running->interrupted;
  state["job"] = "extras";
  state["job_count"] = running->image_count;
  state["job_no"] = running->images_done;
  state["job_timestamp"] = format_timestamp(running->started_at);
  state["sampling_step"] = running->step_done;
  state["sampling_steps"] = running->step_total;
  json current_image = nullptr;
  if (!skip_current_image && running->current_image_png)
    current_image = encode_base64(*running->current_image_png);
  send_json(response, {{"progress", std::min(fraction, 1.0)},
                       {"eta_relative", eta},
                       {"state", state},
                       {"current_image", current_image},
                       {"textinfo", step_text(*running)}});
}

// The reference's read_info_from_image: `parameters` (or an EXIF UserComment) is the infotext,
// every other text item is listed.
void png_info(const RouteContext& context, const httplib::Request& request,
              httplib::Response& response) {
  ValidationErrors errors;
  auto body = read_json_object_body(request.body, request.get_header_value("Content-Type"), errors);
  std::optional<std::string> image_text;
  if (body) {
    if (!body->contains("image"))
      errors.add(json::array({"body", "image"}), "field required", "value_error.missing");
    else
      image_text = read_str(body_field(*body, "image"), errors);
  }
  if (!errors.empty()) return send_json(response, errors.body(), 422);
  std::string text = *image_text;
  text.erase(0, text.find_first_not_of(" \t\r\n\f\v"));
  text.erase(text.find_last_not_of(" \t\r\n\f\v") + 1);
  std::vector<uint8_t> bytes;
  if (!read_image_field(text, "image", &bytes, response)) return;
  image::DecodeLimits limits;
  limits.max_pixels = context.options->max_pixels;
  auto decoded = image::decode_image(bytes, "image", limits);
  if (!decoded.is_ok()) {
    const int code = http_status_for(decoded.status());
    return send_error(response, decoded.status(), code >= 500 ? 400 : code);
  }
  std::string info;
  json items = json::object();
  for (const auto& [key, value] : decoded->metadata.text) {
    if (key == "parameters") {
      info = value;
    } else {
      items[key] = value;
    }
  }
  if (!decoded->metadata.exif.empty()) {
    auto comment = image::read_exif_user_comment(decoded->metadata.exif);
    if (comment && !comment->empty()) info = *comment;  // the reference prefers it when set
  }
  send_json(response,
            {{"info", info}, {"items", items}, {"parameters", parse_generation_parameters(info)}});
}

}  // namespace

std::string sdapi_route_methods(std::string_view path) {
  std::string methods;
  for (const SdapiRoute& route : kRoutes)
    if (path == route.path) methods += (methods.empty() ? "" : ", ") + std::string(route.method);
  return methods;
}

void add_sdapi_routes(httplib::Server& server, const RouteContext& context) {
  const RouteContext* c = &context;
  server.Post("/sdapi/v1/extra-single-image",
              [c](const auto& req, auto& res) { extra_single_image(*c, req, res); });
  server.Post("/sdapi/v1/extra-batch-images",
              [c](const auto& req, auto& res) { extra_batch_images(*c, req, res); });
  server.Get("/sdapi/v1/upscalers", [c](const auto&, auto& res) { upscalers(*c, res); });
  server.Get("/sdapi/v1/face-restorers", [c](const auto&, auto& res) { face_restorers(*c, res); });
  server.Get("/sdapi/v1/progress", [c](const auto& req, auto& res) { progress(*c, req, res); });
  server.Post("/sdapi/v1/png-info", [c](const auto& req, auto& res) { png_info(*c, req, res); });
  // The reference's interruptapi returns {}; its skip returns None, sent as null.
  server.Post("/sdapi/v1/interrupt", [c](const auto&, auto& res) {
    c->queue->interrupt_running();
    send_json(res, json::object());
  });
  server.Post("/sdapi/v1/skip", [c](const auto&, auto& res) {
    c->queue->skip_running_image();
    send_json(res, nullptr);
  });
}

}  // namespace upres::server
