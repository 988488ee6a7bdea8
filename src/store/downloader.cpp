#include "store/downloader.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "store/part_file.h"
#include "store/sha256.h"

namespace upres::store {
namespace {

using Clock = std::chrono::steady_clock;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// True when the body starts like an HTML page (a login wall or an error page saved as weights).
bool looks_like_html(std::string_view head) {
  size_t start = 0;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") start = 3;
  while (start < head.size() && std::isspace(static_cast<unsigned char>(head[start]))) ++start;
  std::string text = lowercase(head.substr(start));
  return text.starts_with("<!doctype html") || text.starts_with("<html") ||
         (text.starts_with("<") && text.find("<html") != std::string::npos);
}

// State shared with the curl callbacks during one attempt.
struct Transfer {
  const DownloadRequest* request = nullptr;
  const DownloadOptions* options = nullptr;
  PartFile* part = nullptr;
  CURL* curl = nullptr;
  uint64_t start_offset = 0;
  uint64_t received = 0;
  bool checked_type = false;
  bool cancelled = false;
  Status refusal;  // why the write callback stopped the transfer
  Clock::time_point last_report{};
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  const std::string& url = t->request->url;
  if (!t->checked_type) {
    t->checked_type = true;
    char* type = nullptr;
    curl_easy_getinfo(t->curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr && lowercase(type).starts_with("text/html")) {
      t->refusal = corrupt(url + ": the server sent an HTML page (Content-Type " + type +
                           "), not a model file");
      return 0;
    }
  }
  uint64_t limit = t->request->expected_bytes ? t->request->expected_bytes : t->options->max_bytes;
  if (t->start_offset + t->received + bytes > limit) {
    t->refusal = resource_exhausted(url + ": body exceeds " + std::to_string(limit) + " bytes");
    return 0;
  }
  Status written = t->part->append(std::span(data, bytes));
  if (!written.is_ok()) {
    t->refusal = written;
    return 0;
  }
  t->received += bytes;
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->request->progress) return 0;
  Clock::time_point now = Clock::now();
  if (t->last_report != Clock::time_point{} &&
      now - t->last_report < std::chrono::milliseconds(t->options->progress_interval_ms)) {
    return 0;
  }
  t->last_report = now;
  uint64_t expected = t->request->expected_bytes;
  if (expected == 0 && total > 0) expected = t->start_offset + static_cast<uint64_t>(total);
  if (!t->request->progress(t->start_offset + t->received, expected)) {
    t->cancelled = true;
    return 1;
  }
  return 0;
}

void set_options(CURL* curl, const DownloadOptions& o, Transfer& t, char* error_text) {
  curl_easy_setopt(curl, CURLOPT_URL, t.request->url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(1, o.stall_timeout_ms / 1000)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  if (t.start_offset > 0) {
    curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t.start_offset));
  }
}

// What one attempt came to: done, worth another try (with the .part kept or restarted), or not.
struct Attempt {
  Status status;
  bool retry = false;
  bool restarted = false;  // the .part was emptied; the next try does not count as a retry
};

Attempt classify(CURLcode code, long http_status, const Transfer& t, const char* error_text) {
  const std::string& url = t.request->url;
  std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
  switch (code) {
    case CURLE_OK:
      return {};
    case CURLE_RANGE_ERROR:  // the server ignored the Range request: start again from byte 0
      return {io_error(url + ": server cannot resume (" + detail + ")"), true, true};
    case CURLE_HTTP_RETURNED_ERROR: {
      std::string what = url + ": HTTP " + std::to_string(http_status);
      if (http_status == 416 && t.start_offset > 0) return {io_error(what), true, true};
      if (http_status == 404 || http_status == 410) return {not_found(what + " (not found)")};
      bool transient = http_status == 429 || http_status >= 500;
      return {io_error(what), transient};
    }
    case CURLE_WRITE_ERROR:
      if (!t.refusal.is_ok()) return {t.refusal};
      return {io_error(url + ": " + detail)};
    case CURLE_ABORTED_BY_CALLBACK:
      return {cancelled(url + ": download cancelled")};
    case CURLE_FILESIZE_EXCEEDED:
      return {resource_exhausted(url + ": body exceeds the size limit (" + detail + ")")};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return {io_error(url + ": cannot connect (" + detail +
                       "); offline? Set UPRES_MODEL_MIRROR to a server or file:// folder holding "
                       "the model files, or copy the file into the models folder")};
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_REMOTE_FILE_NOT_FOUND:
      return {not_found(url + ": " + detail)};
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return {io_error(url + ": transfer interrupted after " +
                       std::to_string(t.start_offset + t.received) + " bytes (" + detail +
                       "); run again to resume from " + t.part->path().string()),
              true};
    default:
      return {io_error(url + ": " + detail)};
  }
}

Attempt transfer_once(const DownloadOptions& options, const DownloadRequest& request,
                      PartFile& part) {
  Result<uint64_t> size = part.size();
  if (!size.is_ok()) return {size.status()};
  Transfer t;
  t.request = &request;
  t.options = &options;
  t.part = &part;
  t.start_offset = *size;
  uint64_t limit = request.expected_bytes ? request.expected_bytes : options.max_bytes;
  if (t.start_offset > limit) {
    Status emptied = part.truncate();
    if (!emptied.is_ok()) return {emptied};
    t.start_offset = 0;
  }
  if (request.expected_bytes != 0 && t.start_offset == request.expected_bytes) return {};
  CurlHandle curl(curl_easy_init());
  if (!curl) return {internal_error("curl_easy_init failed")};
  t.curl = curl.get();
  char error_text[CURL_ERROR_SIZE] = {};
  set_options(curl.get(), options, t, error_text);
  CURLcode code = curl_easy_perform(curl.get());
  long http_status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &http_status);
  Attempt attempt = classify(code, http_status, t, error_text);
  if (attempt.restarted) {
    Status emptied = part.truncate();
    if (!emptied.is_ok()) return {emptied};
  }
  return attempt;
}

// Checks the finished .part (size, not HTML, sha256) and renames it into place.
Status finish(const DownloadOptions& options, const DownloadRequest& request, PartFile& part) {
  const std::string& url = request.url;
  UPRES_ASSIGN_OR_RETURN(uint64_t size, part.size());
  Status verdict;
  if (size < options.min_bytes) {
    verdict = corrupt(url + ": only " + std::to_string(size) + " bytes, too small for a model "
                      "file (an error page or a Git LFS pointer?)");
  } else if (request.expected_bytes != 0 && size != request.expected_bytes) {
    verdict = corrupt(url + ": " + std::to_string(size) + " bytes, expected " +
                      std::to_string(request.expected_bytes));
  }
  if (verdict.is_ok()) {
    UPRES_ASSIGN_OR_RETURN(std::string head, part.read_head(512));
    if (looks_like_html(head)) verdict = corrupt(url + ": the body is an HTML page, not a model file");
  }
  if (verdict.is_ok() && !request.sha256.empty()) {
    UPRES_ASSIGN_OR_RETURN(std::string actual, sha256_of_file(part.path()));
    if (actual != lowercase(request.sha256)) {
      verdict = corrupt(url + ": sha256 " + actual + ", expected " + lowercase(request.sha256));
    }
  }
  if (!verdict.is_ok()) {
    part.remove();
    return verdict;
  }
  UPRES_RETURN_IF_ERROR(part.commit_to(request.destination));
  if (request.progress) request.progress(size, size);
  return Status::ok();
}

}  // namespace

Downloader::Downloader(DownloadOptions options) : options_(std::move(options)) { init_curl_once(); }

std::filesystem::path Downloader::part_path_for(const std::filesystem::path& destination) {
  std::filesystem::path part = destination;
  part += ".part";
  return part;
}

Status Downloader::download(const DownloadRequest& request) const {
  if (request.url.empty()) return invalid_argument(request.destination.string() + ": no URL to download from");
  UPRES_ASSIGN_OR_RETURN(PartFile part, PartFile::open(part_path_for(request.destination)));
  int retries_left = std::max(1, options_.max_attempts) - 1;
  for (int delay = 1;; ++delay) {
    Attempt attempt = transfer_once(options_, request, part);
    if (attempt.status.is_ok()) return finish(options_, request, part);
    StatusCode code = attempt.status.code();
    if (code == StatusCode::kCorrupt || code == StatusCode::kResourceExhausted) part.remove();
    bool give_up = !attempt.retry || (!attempt.restarted && retries_left == 0);
    if (give_up) {
      Result<uint64_t> kept = part.size();
      if (kept.is_ok() && *kept == 0) part.remove();  // nothing to resume from: leave no litter
      return attempt.status;
    }
    if (!attempt.restarted) {
      --retries_left;
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.retry_delay_ms * delay));
    }
  }
}

}  // namespace upres::store
