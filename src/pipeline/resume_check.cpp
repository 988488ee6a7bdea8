#include "pipeline/resume_check.h"

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "image/png_text_chunks.h"
#include "pipeline/shard_partition.h"
#include "store/sha256.h"

namespace upres::pipeline {
namespace fs = std::filesystem;

namespace {

// How a result's stamp differs from what this run would write, in words.
std::string stamp_difference(const std::string& stamp, const InputIdentity& input, const std::string& params_sha256) {
  nlohmann::json made = nlohmann::json::parse(stamp, nullptr, false);
  if (!made.is_object()) return "stamped by something else (" + stamp + ")";
  if (made.value("input", "") != input.key) return "made from another input (" + made.value("input", "?") + ")";
  if (made.value("input_sha256", "") != input.sha256) return "made from another version of " + input.key;
  if (made.value("params_sha256", "") != params_sha256) return "made with other parameters";
  return "stamped differently (" + stamp + ")";
}

}  // namespace

Result<InputIdentity> identify_input(const InputItem& item) {
  InputIdentity identity;
  identity.key = shard_key(item);
  std::error_code ec;
  const auto bytes = fs::file_size(item.path, ec);
  if (ec) return io_error(item.path.string() + ": cannot read: " + ec.message());
  identity.bytes = static_cast<int64_t>(bytes);
  UPRES_ASSIGN_OR_RETURN(identity.sha256, store::sha256_of_file(item.path));
  return identity;
}

InputIdentity identify_bytes(std::string key, std::span<const uint8_t> bytes) {
  store::Sha256 hash;
  hash.update(bytes);
  return InputIdentity{std::move(key), static_cast<int64_t>(bytes.size()), hash.hex_digest()};
}

std::string params_sha256_of(const std::string& text) {
  return identify_bytes("", {reinterpret_cast<const uint8_t*>(text.data()), text.size()}).sha256;
}

std::string source_stamp(const InputIdentity& input, const std::string& params_sha256) {
  nlohmann::json stamp = {{"input", input.key}, {"input_sha256", input.sha256}, {"params_sha256", params_sha256}};
  return stamp.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ResumeCheck::ResumeCheck(const std::vector<ManifestRecord>& earlier, std::string params_sha256,
                         const OutputFolder& output)
    : params_sha256_(std::move(params_sha256)), output_(output) {
  for (const ManifestRecord& record : earlier)
    if (record.is_done() && !record.output.empty()) done_by_input_[record.input] = record;
}

Result<ResumeVerdict> ResumeCheck::check(const InputIdentity& input, const std::string& stem) const {
  const std::string name = stem + "." + std::string(image::format_extension(output_.encode_options().format));
  auto recorded = done_by_input_.find(input.key);
  const bool matches_record = recorded != done_by_input_.end() && recorded->second.input_sha256 == input.sha256 &&
                              recorded->second.params_sha256 == params_sha256_;
  const fs::path path = output_.dir() / (matches_record ? recorded->second.output : name);
  std::error_code ec;
  if (!fs::exists(path, ec)) return ResumeVerdict{};  // missing: redo it
  UPRES_ASSIGN_OR_RETURN(std::string sha256, store::sha256_of_file(path));
  if (matches_record) {
    if (sha256 == recorded->second.output_sha256) return ResumeVerdict{true, path.filename().string(), sha256};
    return invalid_argument(path.string() + " is not the result the manifest recorded (sha256 " + sha256 + ", not " +
                            recorded->second.output_sha256 + "); remove it to redo this item");
  }
  // No manifest line: the result may still be ours (killed after its rename); its stamp says.
  const std::string why = path.string() + " exists but is not recorded as this input's result with these parameters";
  if (output_.encode_options().format != image::ImageFormat::kPng)
    return invalid_argument(why + " (only PNG results carry their source); remove it to redo this item");
  UPRES_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_file_bytes(path));
  UPRES_ASSIGN_OR_RETURN(image::TextChunks chunks, image::read_png_text_chunks(bytes, path.string()));
  for (const auto& [key, value] : chunks) {
    if (key != kSourceStampKey) continue;
    if (value == source_stamp(input, params_sha256_)) return ResumeVerdict{true, path.filename().string(), sha256};
    return invalid_argument(path.string() + " exists but was " + stamp_difference(value, input, params_sha256_) +
                            "; remove it or choose another output folder");
  }
  return invalid_argument(why + " (it has no " + std::string(kSourceStampKey) +
                          " stamp); remove it or choose another output folder");
}

}  // namespace upres::pipeline
