#include "store/user_model_scan.h"

#include <algorithm>
#include <cctype>

namespace upres::store {
namespace {

namespace fs = std::filesystem;

std::string lowercase_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_plain_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool is_hidden(const fs::path& path) {
  std::string name = path.filename().string();
  return !name.empty() && name.front() == '.';
}

// The partner of an ncnn file: x.param <-> x.bin.
fs::path ncnn_partner(const fs::path& path, std::string_view extension) {
  fs::path partner = path;
  partner.replace_extension(extension);
  return partner;
}

}  // namespace

int scale_from_name(std::string_view name) {
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    char a = name[i], b = name[i + 1];
    if (std::isdigit(static_cast<unsigned char>(a)) && (b == 'x' || b == 'X')) return a - '0';
    if ((a == 'x' || a == 'X') && std::isdigit(static_cast<unsigned char>(b))) return b - '0';
  }
  return 0;
}

ModelListing listing_for_model_file(const fs::path& path) {
  ModelListing listing;
  listing.name = path.stem().string();
  listing.folder = path.parent_path().filename().string();
  listing.native_scale = scale_from_name(listing.name);
  listing.installed = true;
  listing.user_file = true;
  listing.source = "user";
  std::string ext = lowercase_extension(path);
  if (!is_plain_file(path)) return listing;
  if (ext == ".pth" || ext == ".pt" || ext == ".ckpt") {
    listing.format = ModelFormat::kPyTorch;
    listing.files = {path};
  } else if (ext == ".safetensors") {
    listing.format = ModelFormat::kSafetensors;
    listing.files = {path};
  } else if (ext == ".onnx") {
    listing.format = ModelFormat::kOnnx;
    listing.files = {path};
  } else if (ext == ".param" || ext == ".bin") {
    fs::path param = ext == ".param" ? path : ncnn_partner(path, ".param");
    fs::path bin = ext == ".bin" ? path : ncnn_partner(path, ".bin");
    if (is_plain_file(param) && is_plain_file(bin)) {
      listing.format = ModelFormat::kNcnn;
      listing.files = {param, bin};
    }
  }
  return listing;
}

std::vector<ModelListing> scan_user_models(const fs::path& models_dir,
                                           std::span<const std::string_view> folders,
                                           const std::set<fs::path>& claimed) {
  std::vector<ModelListing> found;
  for (std::string_view folder : folders) {
    fs::path root = models_dir / folder;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    size_t visited = 0;
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (++visited > kMaxScannedEntries) break;
      const fs::path& path = it->path();
      if (is_hidden(path)) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      std::string ext = lowercase_extension(path);
      if (ext == ".bin" || claimed.count(path.lexically_normal()) != 0) continue;  // .bin: with its .param
      ModelListing listing = listing_for_model_file(path);
      if (listing.files.empty()) continue;
      if (std::any_of(listing.files.begin(), listing.files.end(),
                      [&](const fs::path& file) { return claimed.count(file.lexically_normal()) != 0; })) {
        continue;
      }
      listing.folder = std::string(folder);
      found.push_back(std::move(listing));
    }
  }
  std::sort(found.begin(), found.end(), [](const ModelListing& a, const ModelListing& b) {
    return a.name != b.name ? a.name < b.name : a.files.front() < b.files.front();
  });
  return found;
}

}  // namespace upres::store
