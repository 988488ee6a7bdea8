// /api/v1 handlers.
#include "server/jobs_routes.h"

#include <algorithm>
#include <thread>

#include "pipeline/extras_options.h"
#include "pipeline/input_list.h"
#include "server/extras_json.h"
#include "server/job_journal.h"
#include "server/json_response.h"
#include "server/outpaint_job.h"
#include "server/safe_path.h"

namespace upres::server {
namespace {

using nlohmann::json;
constexpr char kJobPath[] = R"(/api/v1/jobs/([0-9a-f]{1,40}))";

json status_json(const Status& status) {
  if (status.is_ok()) return nullptr;
  json out = {{"error", status_code_name(status.code())}, {"detail", status.message()}};
  if (std::string field = field_of(status); !field.empty()) out["field"] = field;
  return out;
}

json snapshot_json(const JobSnapshot& s) {
  json results = json::array();
  for (size_t i = 0; i < s.results.size(); ++i) {
    const JobResult& r = *s.results[i];
    results.push_back({{"index", i},
                       {"input_index", r.input_index},
                       {"name", r.name},
                       {"width", r.width},
                       {"height", r.height},
                       {"infotext", r.infotext},
                       {"url", r.encoded.empty() ? json(nullptr)
                                                 : json("/api/v1/jobs/" + s.id +
                                                        "/result?index=" + std::to_string(i))},
                       {"saved_path", r.saved_path},
                       {"adopted", r.adopted}});
  }
  json failures = json::array();
  for (const JobFailure& f : s.failures) {
    json item = status_json(f.status);
    item["input_index"] = f.input_index;
    item["name"] = f.name;
    failures.push_back(std::move(item));
  }
  return {{"id", s.id},
          {"state", job_state_name(s.state)},
          {"queue_position", s.queue_position},
          {"image_count", s.image_count},
          {"images_done", s.images_done},
          {"progress", s.progress},
          {"eta_s", s.eta_s < 0 ? json(nullptr) : json(s.eta_s)},
          {"elapsed_s", s.elapsed_s},
          {"stage", s.stage},
          {"error", status_json(s.error)},
          {"results", results},
          {"failures", failures}};
}

Result<image::ImageFormat> read_format(const std::string& text) {
  if (text.empty()) return image::ImageFormat::kPng;
  auto format = image::parse_image_format(text);
  if (!format.is_ok()) return invalid_argument("format: " + format.status().message());
  return format;
}

// Numbers as doubles, so 4 and 4.0 are the same parameters.
json with_uniform_numbers(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_structured()) return value;
  json out = value;
  for (auto& item : out) item = with_uniform_numbers(item);
  return out;
}

// The parameters a saved result's upres-source stamp names: canonical JSON (sorted keys).
std::string job_parameters_json(const std::string& kind, const json& options, image::ImageFormat format) {
  json params = {{"kind", kind.empty() ? "extras" : kind},
                 {"options", with_uniform_numbers(options.is_object() ? options : json::object())},
                 {"format", std::string(image::format_extension(format))}};
  return params.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "true"/"1" (a form field) or a JSON boolean.
Result<bool> read_flag(const json& value, const char* field) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string() && (value == "true" || value == "1")) return true;
  if (value.is_string() && (value == "false" || value == "0")) return false;
  return invalid_argument(std::string(field) + ": expected true or false");
}

// The job's kind decides how its options object is read: "extras" (the default) into the Extras
// request, "outpaint" into an outpaint run of every picture (outpaint_job.h).
Status read_job_options(const RouteContext& context, const std::string& kind, const json& options,
                        JobSpec& spec) {
  spec.request = pipeline::default_cli_request();
  if (kind.empty() || kind == "extras") {
    UPRES_ASSIGN_OR_RETURN(spec.request, parse_extras_options(options, pipeline::default_cli_request(),
                                                              *context.registry, context.options->faces.get()));
    return Status::ok();
  }
  if (kind == "outpaint") {
    UPRES_ASSIGN_OR_RETURN(pipeline::OutpaintRequest outpaint,
                           parse_outpaint_options(options, context.options->max_output_pixels));
    spec.work = make_outpaint_work(std::move(outpaint));
    return Status::ok();
  }
  return invalid_argument("kind: unknown job kind \"" + kind + "\" (expected extras or outpaint)");
}

Status read_options(const RouteContext& context, const std::string& kind, const std::string& text,
                    JobSpec& spec) {
  json options = text.empty() ? json::object() : json::parse(text, nullptr, false);
  if (options.is_discarded()) return corrupt("options: not valid JSON");
  return read_job_options(context, kind, options, spec);
}

// Outpaint batches from a folder plan every picture from its header before anything runs, so an
// ask one of them cannot take is a 4xx now rather than a failure later.
Status check_outpaint_directory(const RouteContext& context, const JobSpec& spec, const json& options) {
  if (!spec.work) return Status::ok();
  auto request = parse_outpaint_options(options, context.options->max_output_pixels);
  if (!request.is_ok()) return request.status();
  for (const JobInput& input : spec.inputs) {
    auto size = image::read_image_size(input.path);
    if (!size.is_ok()) continue;  // the job reports unreadable files one by one
    Status plan = check_outpaint_canvas(*request, size->first, size->second);
    if (!plan.is_ok()) return Status(plan.code(), plan.message() + " (" + input.name + ")");
  }
  return Status::ok();
}

// multipart/form-data: "kind" (extras or outpaint), "options" (JSON object), "format", and one or
// more "images" files.
Result<JobSpec> read_upload_job(const RouteContext& context, const httplib::Request& request) {
  JobSpec spec;
  std::string options_text, format_text, kind, skip_existing_text = "false";
  for (const auto& [name, part] : request.files) {
    if (name == "options")
      options_text = part.content;
    else if (name == "skip_existing")
      skip_existing_text = part.content;
    else if (name == "kind")
      kind = part.content;
    else if (name == "format")
      format_text = part.content;
    else if (name == "images" || name == "image")
      spec.inputs.push_back({part.filename.empty() ? "image" : part.filename,
                             std::vector<uint8_t>(part.content.begin(), part.content.end()),
                             {}});
  }
  if (spec.inputs.empty()) return invalid_argument("images: no image files in the upload");
  if (spec.inputs.size() > context.options->max_batch_images)
    return resource_exhausted("images: more than " +
                              std::to_string(context.options->max_batch_images));
  UPRES_RETURN_IF_ERROR(read_options(context, kind, options_text, spec));
  UPRES_ASSIGN_OR_RETURN(spec.encode.format, read_format(format_text));
  spec.output_dir = context.options->output_dir;
  spec.keep_stems = spec.inputs.size() > 1;
  spec.params = job_parameters_json(kind, json::parse(options_text, nullptr, false), spec.encode.format);
  UPRES_ASSIGN_OR_RETURN(spec.skip_existing, read_flag(skip_existing_text, "skip_existing"));
  return spec;
}

Status add_directory_inputs(const RouteContext& context, const std::filesystem::path& dir,
                            JobSpec& spec) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return not_found("input_dir: not a folder");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file(error) && pipeline::has_image_extension(entry.path()))
      files.push_back(entry.path());
    if (files.size() > context.options->max_batch_images)
      return resource_exhausted("input_dir: more than " +
                                std::to_string(context.options->max_batch_images) + " images");
  }
  if (error) return io_error("input_dir: " + error.message());
  if (files.empty()) return invalid_argument("input_dir: holds no image files");
  std::sort(files.begin(), files.end());
  for (auto& file : files) spec.inputs.push_back({file.filename().string(), {}, file});
  return Status::ok();
}

// JSON: {"kind", "input_dir", "output_dir", "show_results", "skip_existing", "format",
// "options": {...}}; both folders relative to the configured roots. skip_existing defaults to
// false, or to true when a server that died left this job unfinished (job_journal.h).
Result<JobSpec> read_directory_job(const RouteContext& context, const httplib::Request& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return corrupt("body: not a JSON object");
  const ServerOptions& options = *context.options;
  auto text = [&](const char* key) -> std::string {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
  };
  JobSpec spec;
  UPRES_ASSIGN_OR_RETURN(auto input_dir,
                         resolve_under_root(options.batch_root, text("input_dir"), "input_dir"));
  if (options.output_dir.empty())
    return invalid_argument("output_dir: this server saves no results");
  UPRES_ASSIGN_OR_RETURN(spec.output_dir,
                         resolve_under_root(options.output_dir, text("output_dir"), "output_dir"));
  UPRES_RETURN_IF_ERROR(add_directory_inputs(context, input_dir, spec));
  auto options_it = body.find("options");
  json job_options = options_it != body.end() ? *options_it : json::object();
  UPRES_RETURN_IF_ERROR(read_job_options(context, text("kind"), job_options, spec));
  UPRES_RETURN_IF_ERROR(check_outpaint_directory(context, spec, job_options));
  UPRES_ASSIGN_OR_RETURN(spec.encode.format, read_format(text("format")));
  spec.keep_stems = true;
  spec.keep_results = body.value("show_results", true);
  spec.params = job_parameters_json(text("kind"), job_options, spec.encode.format);
  spec.journal_path = job_journal_path(spec.output_dir, input_dir.string() + "\n" + spec.params);
  spec.skip_existing = job_journal_exists(spec.journal_path);
  if (auto flag = body.find("skip_existing"); flag != body.end() && !flag->is_null()) {
    UPRES_ASSIGN_OR_RETURN(spec.skip_existing, read_flag(*flag, "skip_existing"));
  }
  UPRES_RETURN_IF_ERROR(write_job_journal(spec.journal_path, body.dump()));
  return spec;
}

void create_job(const RouteContext& context, const httplib::Request& request,
                httplib::Response& response) {
  auto spec = request.is_multipart_form_data() ? read_upload_job(context, request)
                                               : read_directory_job(context, request);
  if (!spec.is_ok()) return send_error(response, spec.status());
  const std::filesystem::path journal = spec->journal_path;
  auto id = context.queue->submit(std::move(spec).value());
  if (!id.is_ok()) {
    remove_job_journal(journal);  // never queued: nothing to resume
    return send_error(response, id.status(), 503);
  }
  response.set_header("Location", "/api/v1/jobs/" + *id);
  send_json(response, snapshot_json(*context.queue->snapshot(*id)), 202);
}

std::string download_name(const JobResult& result, image::ImageFormat format) {
  std::string stem = std::filesystem::path(result.name).stem().string();
  stem.erase(std::remove_if(stem.begin(), stem.end(),
                            [](char c) {
                              return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                       c == '_');
                            }),
             stem.end());
  if (stem.empty()) stem = "image";
  return stem + "-upres." + std::string(image::format_extension(format));
}

void job_result(const RouteContext& context, const httplib::Request& request,
                httplib::Response& response) {
  const std::string id = request.matches[1];
  auto snapshot = context.queue->snapshot(id);
  if (!snapshot) return send_error(response, not_found("id: no job " + id));
  size_t index = 0;
  if (request.has_param("index")) {
    const std::string text = request.get_param_value("index");
    if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), ::isdigit))
      return send_error(response, invalid_argument("index: expected a result number"));
    index = std::stoul(text);
  }
  if (index >= snapshot->results.size() || snapshot->results[index]->encoded.empty())
    return send_error(response,
                      not_found("index: job " + id + " has no result " + std::to_string(index)));
  const JobResult& result = *snapshot->results[index];
  const image::ImageFormat format = result.format;
  const std::string ext(image::format_extension(format));
  const std::string type = ext == "jpg" ? "image/jpeg" : "image/" + ext;
  response.set_header("Content-Disposition",
                      "attachment; filename=\"" + download_name(result, format) + "\"");
  response.set_content(std::string(result.encoded.begin(), result.encoded.end()), type);
}

void cancel_job(const RouteContext& context, const httplib::Request& request,
                httplib::Response& response) {
  const std::string id = request.matches[1];
  if (!context.queue->snapshot(id)) return send_error(response, not_found("id: no job " + id));
  if (!context.queue->cancel(id))
    return send_error(response, invalid_argument("id: job " + id + " has finished"), 409);
  send_json(response, snapshot_json(*context.queue->snapshot(id)));
}

// Streams "event: progress" with the job's JSON on every change (at most 10 a second), a comment
// every 5 s of silence, and "event: done" when it finishes.
void job_events(const RouteContext& context, const httplib::Request& request,
                httplib::Response& response) {
  const std::string id = request.matches[1];
  if (!context.queue->snapshot(id)) return send_error(response, not_found("id: no job " + id));
  response.set_header("Cache-Control", "no-cache");
  auto last_version = std::make_shared<uint64_t>(0);
  JobQueue* queue = context.queue;
  response.set_chunked_content_provider(
      "text/event-stream", [queue, id, last_version](size_t, httplib::DataSink& sink) {
        auto snapshot = *last_version == 0
                            ? queue->snapshot(id)
                            : queue->wait_for_change(id, *last_version, std::chrono::seconds(5));
        if (!snapshot) {
          sink.done();
          return true;
        }
        if (snapshot->version == *last_version && !snapshot->is_finished()) {
          return sink.write(": keep-alive\n\n", 15);
        }
        *last_version = snapshot->version;
        const std::string kind = snapshot->is_finished() ? "done" : "progress";
        const std::string event =
            "event: " + kind + "\ndata: " + snapshot_json(*snapshot).dump() + "\n\n";
        if (!sink.write(event.data(), event.size())) return false;
        if (snapshot->is_finished())
          sink.done();
        else
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return true;
      });
}

json options_json(const RouteContext& context) {
  const ServerOptions& o = *context.options;
  return {{"options", extras_options_json()},
          {"outpaint", outpaint_options_json()},
          {"limits",
           {{"max_upload_bytes", o.max_upload_bytes},
            {"max_pixels", o.max_pixels},
            {"max_output_pixels", o.max_output_pixels},
            {"max_batch_images", o.max_batch_images}}},
          {"batch_from_directory", !o.batch_root.empty() && !o.output_dir.empty()},
          {"saves_results", !o.output_dir.empty()}};
}

}  // namespace

void add_jobs_routes(httplib::Server& server, const RouteContext& context) {
  const RouteContext* c = &context;
  server.Get("/api/v1/options", [c](const auto&, auto& res) { send_json(res, options_json(*c)); });
  server.Post("/api/v1/jobs", [c](const auto& req, auto& res) { create_job(*c, req, res); });
  server.Get(kJobPath, [c](const httplib::Request& req, httplib::Response& res) {
    auto snapshot = c->queue->snapshot(req.matches[1]);
    if (!snapshot) return send_error(res, not_found("id: no job " + std::string(req.matches[1])));
    send_json(res, snapshot_json(*snapshot));
  });
  server.Delete(kJobPath, [c](const auto& req, auto& res) { cancel_job(*c, req, res); });
  server.Get(std::string(kJobPath) + "/result",
             [c](const auto& req, auto& res) { job_result(*c, req, res); });
  server.Get(std::string(kJobPath) + "/events",
             [c](const auto& req, auto& res) { job_events(*c, req, res); });
}

}  // namespace upres::server
