// WeightFile: format sniffing and dispatch.
#include "weights/weight_file.h"

#include <algorithm>
#include <cctype>

#include "weights/ncnn_reader.h"
#include "weights/pth_reader.h"
#include "weights/safetensors_reader.h"
#include "weights/state_dict.h"

namespace upres::weights {
namespace {

bool starts_with(std::span<const uint8_t> bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

Result<WeightFile> read_ncnn_file(const std::filesystem::path& param_path) {
  UPRES_ASSIGN_OR_RETURN(NcnnModel model, read_ncnn_files(param_path));
  return WeightFile{std::move(model.weights), std::move(model.graph)};
}

}  // namespace

Result<WeightFile> read_weight_file(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".bin") {
    std::filesystem::path param = path;
    param.replace_extension(".param");
    if (std::filesystem::exists(param)) return read_ncnn_file(param);
  }
  UPRES_ASSIGN_OR_RETURN(auto file, ByteSource::map_file(path));
  auto bytes = file->bytes();
  if (starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06")) {
    UPRES_ASSIGN_OR_RETURN(WeightMap map, read_pth_zip(file));
    return WeightFile{std::move(map), std::nullopt};
  }
  if (looks_like_legacy_pth(bytes)) {
    UPRES_ASSIGN_OR_RETURN(WeightMap map, read_pth_legacy(file));
    return WeightFile{std::move(map), std::nullopt};
  }
  if (looks_like_safetensors(bytes) || ext == ".safetensors") {
    UPRES_ASSIGN_OR_RETURN(WeightMap map, read_safetensors(file));
    strip_common_prefix(map);
    return WeightFile{std::move(map), std::nullopt};
  }
  if (starts_with(bytes, "7767517") || ext == ".param") return read_ncnn_file(path);
  if (ext == ".pth" || ext == ".pt" || ext == ".ckpt") {
    return corrupt(path.string() + ": neither a torch zip checkpoint nor a legacy one");
  }
  return unsupported(path.string() + ": not a recognised model file (.pth, .pt, .ckpt, .safetensors, ncnn .param)");
}

}  // namespace upres::weights
