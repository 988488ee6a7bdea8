// /sdapi/v1 handlers: JSON in, job queue, JSON out.
#include "server/sdapi_routes.h"

#include <algorithm>
#include <ctime>

#include "image/image_codec.h"
#include "image/infotext.h"
#include "pipeline/extras_options.h"
#include "server/base64.h"
#include "server/extras_json.h"
#include "server/json_response.h"

namespace upres::server {
namespace {

using nlohmann::json;

Result<json> parse_json_body(const httplib::Request& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return corrupt("body: not valid JSON");
  if (!body.is_object()) return invalid_argument("body: expected a JSON object");
  return body;
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<br>\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<JobInput> read_base64_input(const json& value, const std::string& field) {
  if (!value.is_string()) return invalid_argument(field + ": expected a base64 string");
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                         decode_base64(value.get<std::string>(), field));
  if (bytes.empty()) return invalid_argument(field + ": empty image");
  return JobInput{field, std::move(bytes), {}};
}

// Runs `spec` through the queue and waits; the finished snapshot, or the error to answer with.
Result<JobSnapshot> run_and_wait(const RouteContext& context, JobSpec spec, int* http_status) {
  auto id = context.queue->submit(std::move(spec));
  if (!id.is_ok()) {
    *http_status = 503;
    return id.status();
  }
  auto done = context.queue->wait_until_finished(*id);
  if (!done) return internal_error("job " + *id + " vanished");
  if (!done->is_finished()) {
    *http_status = 503;
    return resource_exhausted("server: shutting down");
  }
  if (done->state != JobState::kDone) return done->error;
  for (const JobFailure& failure : done->failures) {
    if (failure.status.code() != StatusCode::kCancelled) return failure.status;  // skips are fine
  }
  return *done;
}

Result<JobSpec> parse_extras_job(const RouteContext& context, const json& body) {
  JobSpec spec;
  UPRES_ASSIGN_OR_RETURN(
      spec.request, parse_extras_options(body, pipeline::default_api_request(), *context.registry, context.options->faces.get()));
  spec.encode.format = image::ImageFormat::kPng;
  return spec;
}

void extra_single_image(const RouteContext& context, const httplib::Request& request,
                        httplib::Response& response) {
  auto body = parse_json_body(request);
  if (!body.is_ok()) return send_error(response, body.status(), 400);
  auto spec = parse_extras_job(context, *body);
  if (!spec.is_ok()) return send_error(response, spec.status());
  auto it = body->find("image");
  if (it == body->end()) return send_error(response, invalid_argument("image: field required"));
  auto input = read_base64_input(*it, "image");
  if (!input.is_ok()) return send_error(response, input.status(), 400);
  spec->inputs.push_back(std::move(input).value());

  int http_status = 0;
  auto done = run_and_wait(context, std::move(spec).value(), &http_status);
  if (!done.is_ok())
    return send_error(response, done.status(),
                      http_status ? http_status : http_status_for(done.status()));
  if (done->results.empty()) return send_error(response, cancelled("image: skipped"));
  const JobResult& result = *done->results.front();
  send_json(response, {{"html_info", "<p>" + html_escape(result.infotext) + "</p>"},
                       {"image", encode_base64(result.encoded)}});
}

void extra_batch_images(const RouteContext& context, const httplib::Request& request,
                        httplib::Response& response) {
  auto body = parse_json_body(request);
  if (!body.is_ok()) return send_error(response, body.status(), 400);
  auto spec = parse_extras_job(context, *body);
  if (!spec.is_ok()) return send_error(response, spec.status());
  auto list = body->find("imageList");
  if (list == body->end() || !list->is_array())
    return send_error(response, invalid_argument("imageList: expected an array of {data, name}"));
  if (list->empty()) return send_error(response, invalid_argument("imageList: no images"));
  if (list->size() > context.options->max_batch_images) {
    return send_error(response, resource_exhausted(
                                    "imageList: more than " +
                                    std::to_string(context.options->max_batch_images) + " images"));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string field = "imageList[" + std::to_string(i) + "]";
    const json& item = (*list)[i];
    if (!item.is_object() || !item.contains("data"))
      return send_error(response, invalid_argument(field + ": expected {data, name}"));
    auto input = read_base64_input(item["data"], field);
    if (!input.is_ok()) return send_error(response, input.status(), 400);
    spec->inputs.push_back(std::move(input).value());
  }
  int http_status = 0;
  auto done = run_and_wait(context, std::move(spec).value(), &http_status);
  if (!done.is_ok())
    return send_error(response, done.status(),
                      http_status ? http_status : http_status_for(done.status()));
  auto results = done->results;
  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a->input_index < b->input_index; });
  json images = json::array();
  for (const auto& result : results) images.push_back(encode_base64(result->encoded));
  const std::string info = results.empty() ? "" : results.front()->infotext;
  send_json(response, {{"html_info", "<p>" + html_escape(info) + "</p>"}, {"images", images}});
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

void progress(const RouteContext& context, httplib::Response& response) {
  size_t queued = 0;
  auto running = context.queue->running(&queued);
  json state = {{"skipped", false},
                {"interrupted", false},
                {"stopping_generation", false},
                {"job", ""},
                {"job_count", 0},
                {"job_timestamp", "0"},
                {"job_no", 0},
                {"sampling_step", 0},
                {"sampling_steps", 0},
                {"queued_jobs", queued}};
  if (!running) {
    send_json(response, {{"progress", 0},
                         {"eta_relative", 0},
                         {"state", state},
                         {"current_image", nullptr},
                         {"textinfo", nullptr}});
    return;
  }
  state["job"] = running->id;
  state["job_count"] = running->image_count;
  state["job_no"] = running->images_done;
  state["job_timestamp"] = format_timestamp(running->started_at);
  send_json(response, {{"progress", running->progress},
                       {"eta_relative", std::max(0.0, running->eta_s)},
                       {"state", state},
                       {"current_image", nullptr},
                       {"textinfo", running->stage}});
}

void png_info(const RouteContext& context, const httplib::Request& request,
              httplib::Response& response) {
  auto body = parse_json_body(request);
  if (!body.is_ok()) return send_error(response, body.status(), 400);
  auto it = body->find("image");
  if (it == body->end() || (it->is_string() && it->get<std::string>().empty()))
    return send_json(response,
                     {{"info", ""}, {"items", json::object()}, {"parameters", json::object()}});
  auto input = read_base64_input(*it, "image");
  if (!input.is_ok()) return send_error(response, input.status(), 400);
  image::DecodeLimits limits;
  limits.max_pixels = context.options->max_pixels;
  auto decoded = image::decode_image(input->bytes, "image", limits);
  if (!decoded.is_ok())
    return send_error(
        response, decoded.status(),
        http_status_for(decoded.status()) == 500 ? 400 : http_status_for(decoded.status()));
  std::string info;
  json items = json::object();
  for (const auto& [key, value] : decoded->metadata.text) {
    if (key == "parameters")
      info = value;
    else
      items[key] = value;
  }
  json parameters = json::object();
  const std::string last_line =
      info.substr(info.rfind('\n') == std::string::npos ? 0 : info.rfind('\n') + 1);
  for (const auto& [key, value] : image::parse_infotext(last_line)) parameters[key] = value;
  send_json(response, {{"info", info}, {"items", items}, {"parameters", parameters}});
}

}  // namespace

void add_sdapi_routes(httplib::Server& server, const RouteContext& context) {
  const RouteContext* c = &context;
  server.Post("/sdapi/v1/extra-single-image",
              [c](const auto& req, auto& res) { extra_single_image(*c, req, res); });
  server.Post("/sdapi/v1/extra-batch-images",
              [c](const auto& req, auto& res) { extra_batch_images(*c, req, res); });
  server.Get("/sdapi/v1/upscalers", [c](const auto&, auto& res) { upscalers(*c, res); });
  server.Get("/sdapi/v1/face-restorers", [c](const auto&, auto& res) { face_restorers(*c, res); });
  server.Get("/sdapi/v1/progress", [c](const auto&, auto& res) { progress(*c, res); });
  server.Post("/sdapi/v1/png-info", [c](const auto& req, auto& res) { png_info(*c, req, res); });
  server.Post("/sdapi/v1/interrupt", [c](const auto&, auto& res) {
    c->queue->interrupt_running();
    send_json(res, json::object());
  });
  server.Post("/sdapi/v1/skip", [c](const auto&, auto& res) {
    c->queue->skip_running_image();
    send_json(res, json::object());
  });
}

}  // namespace upres::server
