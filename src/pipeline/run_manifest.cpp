#include "pipeline/run_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace upres::pipeline {
namespace {

using nlohmann::json;

json to_json(const ManifestRecord& r) {
  json j = {{"input", r.input},         {"input_bytes", r.input_bytes}, {"input_sha256", r.input_sha256},
            {"output", r.output},       {"output_dir", r.output_dir},   {"output_sha256", r.output_sha256},
            {"status", r.status},       {"error", r.error},             {"params_sha256", r.params_sha256},
            {"infotext", r.infotext},   {"seconds", r.seconds},         {"shard", r.shard},
            {"upres_version", r.upres_version}, {"model_sha256", r.model_sha256}, {"host", r.host},
            {"finished_unix_s", r.finished_unix_s}};
  // Kept as an object (not a string) so the manifest reads naturally; params_sha256 is of its dump.
  j["params"] = r.params.empty() ? json::object() : json::parse(r.params, nullptr, false);
  if (j["params"].is_discarded()) j["params"] = r.params;
  return j;
}

// Cuts `text` to at most `bytes` bytes without splitting a UTF-8 sequence.
void cut_utf8(std::string& text, size_t bytes) {
  if (text.size() <= bytes) return;
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  text.resize(bytes);
  text += "...";
}

std::string dump_line(const ManifestRecord& record) {
  // Replace invalid UTF-8 (a Latin-1 file name) rather than throw.
  return to_json(record).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string to_manifest_line(const ManifestRecord& record) {
  std::string line = dump_line(record);
  if (line.size() <= kMaxManifestLineBytes) return line;
  ManifestRecord shorter = record;
  for (size_t keep : {size_t{1024}, size_t{256}, size_t{0}}) {
    cut_utf8(shorter.error, keep);
    cut_utf8(shorter.infotext, keep);
    line = dump_line(shorter);
    if (line.size() <= kMaxManifestLineBytes) break;
  }
  return line;
}

Result<ManifestRecord> parse_manifest_line(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("not a JSON object");
  if (!j.contains("input") || !j["input"].is_string()) return invalid_argument("no \"input\"");
  if (!j.contains("status") || !j["status"].is_string()) return invalid_argument("no \"status\"");
  ManifestRecord r;
  try {
    r.input = j.at("input").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.input_bytes = j.value("input_bytes", int64_t{-1});
    r.input_sha256 = j.value("input_sha256", "");
    r.output = j.value("output", "");
    r.output_dir = j.value("output_dir", "");
    r.output_sha256 = j.value("output_sha256", "");
    r.error = j.value("error", "");
    r.params_sha256 = j.value("params_sha256", "");
    r.infotext = j.value("infotext", "");
    r.seconds = j.value("seconds", 0.0);
    r.shard = j.value("shard", "");
    r.upres_version = j.value("upres_version", "");
    r.host = j.value("host", "");
    r.finished_unix_s = j.value("finished_unix_s", int64_t{0});
    if (j.contains("model_sha256")) r.model_sha256 = j.at("model_sha256").get<std::map<std::string, std::string>>();
    if (j.contains("params")) r.params = j.at("params").is_string() ? j.at("params").get<std::string>() : j.at("params").dump();
  } catch (const json::exception& error) {
    return invalid_argument(std::string("a field has the wrong type: ") + error.what());
  }
  if (r.status != "ok" && r.status != "failed" && r.status != "skipped")
    return invalid_argument("unknown status \"" + r.status + "\"");
  return r;
}

Result<ManifestContents> read_manifest(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path.string() + ": no such manifest");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path.string() + ": cannot open: " + std::strerror(errno));
  ManifestContents contents;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    Result<ManifestRecord> record = parse_manifest_line(line);
    if (record.is_ok()) contents.records.push_back(std::move(record).value());
    else contents.bad_lines.push_back(path.string() + ":" + std::to_string(number) + ": " + record.status().message());
  }
  if (in.bad()) return io_error(path.string() + ": read failed");
  return contents;
}

Result<ManifestWriter> ManifestWriter::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path.string() + ": cannot open manifest for appending: " + std::strerror(errno));
  return ManifestWriter(path, fd);
}

ManifestWriter::ManifestWriter(ManifestWriter&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

ManifestWriter::~ManifestWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ManifestWriter::append(const ManifestRecord& record) const {
  const std::string line = to_manifest_line(record);
  ssize_t written;
  do {
    written = ::write(fd_, line.data(), line.size());  // one write: an O_APPEND line is never split
  } while (written < 0 && errno == EINTR);
  if (written < 0) return io_error(path_.string() + ": cannot append: " + std::strerror(errno));
  if (static_cast<size_t>(written) != line.size())
    return io_error(path_.string() + ": short append (" + std::to_string(written) + " of " +
                    std::to_string(line.size()) + " bytes; disk full?)");
  if (::fdatasync(fd_) != 0) return io_error(path_.string() + ": fdatasync failed: " + std::strerror(errno));
  return Status::ok();
}

}  // namespace upres::pipeline
