// User model scan: finds model files a user dropped into the upscaler folders of a models folder
// (.pth .pt .ckpt .safetensors .onnx, or a .param with its .bin), as the reference UI lists them: under
// their file stem. Stateless; thread-safe.
#pragma once

#include <filesystem>
#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "store/model_listing.h"

namespace upres::store {

// Model files under `models_dir`/<folder> for each of `folders`, recursively (hidden entries and
// `.part` downloads skipped, at most kMaxScannedEntries entries per folder), leaving out any path
// in `claimed` (catalog files). Names are file stems; the rows are sorted by name.
std::vector<ModelListing> scan_user_models(const std::filesystem::path& models_dir,
                                           std::span<const std::string_view> folders,
                                           const std::set<std::filesystem::path>& claimed);

// The listing of a single model file given by path: a .pth/.pt/.ckpt/.safetensors/.onnx file, or an
// ncnn .param or .bin whose partner sits beside it. Empty `files` when it is neither.
ModelListing listing_for_model_file(const std::filesystem::path& path);

// Scale from a name as the reference UI guesses it: the digit in "4x" or "x4"; 0 when none.
int scale_from_name(std::string_view name);

inline constexpr size_t kMaxScannedEntries = 100'000;

}  // namespace upres::store
