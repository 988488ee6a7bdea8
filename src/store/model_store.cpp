#include "store/model_store.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "store/user_model_scan.h"

namespace upres::store {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMinModelFileBytes = 200;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A catalog file is in place when its size is right; a downloadable file under 200 bytes is a Git
// LFS pointer or an error page saved by another tool, fetched again as the reference UI does.
bool is_in_place(const fs::path& path, const CatalogFile& file) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return false;
  if (file.size_bytes != 0) return size == file.size_bytes;
  return file.url.empty() || size >= kMinModelFileBytes;
}

bool has_urls(const CatalogVariant& variant) {
  return !variant.files.empty() &&
         std::all_of(variant.files.begin(), variant.files.end(),
                     [](const CatalogFile& file) { return !file.url.empty(); });
}

fs::path same_file_key(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : canonical;
}

std::string installed_names_hint(const std::vector<ModelListing>& rows) {
  std::string names;
  int shown = 0;
  for (const ModelListing& row : rows) {
    if (!row.installed || row.kind != ModelKind::kUpscaler) continue;
    if (shown++ == 8) {
      names += ", ...";
      break;
    }
    names += (names.empty() ? "" : ", ") + row.name;
  }
  return names.empty() ? "none installed" : "installed: " + names;
}

}  // namespace

ModelStoreOptions ModelStoreOptions::from_environment(fs::path models_dir) {
  ModelStoreOptions options;
  options.models_dir = std::move(models_dir);
  if (const char* mirror = std::getenv("UPRES_MODEL_MIRROR")) options.mirror_url = mirror;
  return options;
}

ModelStore::ModelStore(ModelStoreOptions options, std::span<const CatalogEntry> catalog)
    : options_(std::move(options)), catalog_(catalog) {}

fs::path ModelStore::path_for(const CatalogEntry& entry, const CatalogFile& file) const {
  return (options_.models_dir / entry.folder / file.name).lexically_normal();
}

std::string ModelStore::url_for(const CatalogFile& file) const {
  if (file.url.empty()) return "";
  if (options_.mirror_url.empty()) return std::string(file.url);
  std::string base = options_.mirror_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + fs::path(file.name).filename().string();
}

ModelListing ModelStore::listing_for_entry(const CatalogEntry& entry) const {
  ModelListing row;
  row.name = std::string(entry.display_name);
  row.folder = std::string(entry.folder);
  row.architecture = std::string(entry.architecture);
  row.kind = entry.kind;
  row.native_scale = entry.native_scale;
  if (entry.variants.empty()) return row;
  const CatalogVariant* installed = nullptr;
  const CatalogVariant* downloadable = nullptr;
  for (const CatalogVariant& variant : entry.variants) {
    bool present = !variant.files.empty() &&
                   std::all_of(variant.files.begin(), variant.files.end(),
                               [&](const CatalogFile& file) { return is_in_place(path_for(entry, file), file); });
    if (present && installed == nullptr) installed = &variant;
    if (has_urls(variant) && downloadable == nullptr) downloadable = &variant;
  }
  const CatalogVariant& chosen =
      installed ? *installed : (downloadable ? *downloadable : entry.variants.front());
  row.installed = installed != nullptr;
  row.format = chosen.format;
  row.source = std::string(chosen.source);
  for (const CatalogFile& file : chosen.files) row.files.push_back(path_for(entry, file));
  if (!row.installed && !chosen.files.empty()) row.url = url_for(chosen.files.front());
  return row;
}

std::vector<ModelListing> ModelStore::list() const {
  std::vector<ModelListing> rows;
  std::set<fs::path> claimed;
  std::set<std::string> taken;
  for (const CatalogEntry& entry : catalog_) {
    rows.push_back(listing_for_entry(entry));
    taken.insert(rows.back().name);
    for (const CatalogVariant& variant : entry.variants) {
      for (const CatalogFile& file : variant.files) claimed.insert(path_for(entry, file));
    }
  }
  for (ModelListing& user : scan_user_models(options_.models_dir, upscaler_folders(), claimed)) {
    if (taken.count(user.name) != 0) {  // same stem twice: the path below models/ tells them apart
      fs::path relative = user.files.front().lexically_relative(options_.models_dir);
      user.name = relative.replace_extension().generic_string();
    }
    taken.insert(user.name);
    rows.push_back(std::move(user));
  }
  return rows;
}

const CatalogEntry* ModelStore::entry_named(std::string_view name) const {
  for (const CatalogEntry& entry : catalog_) {
    if (entry.display_name == name) return &entry;
  }
  return nullptr;
}

Result<ModelListing> ModelStore::find(std::string_view query) const {
  std::vector<ModelListing> rows = list();
  for (const ModelListing& row : rows) {
    if (row.name == query) return row;
  }
  for (const ModelListing& row : rows) {
    if (equals_ignoring_case(row.name, query)) return row;
  }
  for (size_t i = 0; i < catalog_.size(); ++i) {  // rows[i] is catalog_[i]
    for (const CatalogVariant& variant : catalog_[i].variants) {
      for (const CatalogFile& file : variant.files) {
        if (equals_ignoring_case(fs::path(file.name).stem().string(), query)) return rows[i];
      }
    }
  }
  fs::path path(query);
  if (!query.empty() && file_exists(path)) {
    fs::path key = same_file_key(path);
    for (const ModelListing& row : rows) {
      for (const fs::path& file : row.files) {
        if (row.installed && same_file_key(file) == key) return row;
      }
    }
    ModelListing listing = listing_for_model_file(path);
    if (listing.files.empty()) {
      return unsupported(path.string() + ": not a model file (expected .pth, .pt, .ckpt, "
                         ".safetensors, .onnx, or an ncnn .param with its .bin beside it)");
    }
    return listing;
  }
  return not_found("no model or model file named '" + std::string(query) + "' in " +
                   options_.models_dir.string() + " (" + installed_names_hint(rows) +
                   "; `upres models` lists all)");
}

Status ModelStore::download_entry(const CatalogEntry& entry, const Downloader& downloader,
                                  const DownloadProgress& progress) const {
  auto variant = std::find_if(entry.variants.begin(), entry.variants.end(), has_urls);
  if (variant == entry.variants.end()) {
    std::string source = entry.variants.empty() ? "" : std::string(entry.variants.front().source);
    return not_found(std::string(entry.display_name) + ": not installed in " +
                     (options_.models_dir / entry.folder).string() + " and it has no download URL; " +
                     "it comes from " + source + ": run scripts/setup.sh to install the default models");
  }
  for (const CatalogFile& file : variant->files) {
    fs::path destination = path_for(entry, file);
    if (is_in_place(destination, file)) continue;
    DownloadRequest request{url_for(file), destination, std::string(file.sha256), file.size_bytes,
                            progress};
    Status status = downloader.download(request);
    if (!status.is_ok()) return status.with_context(entry.display_name);
  }
  return Status::ok();
}

Result<ModelListing> ModelStore::resolve(std::string_view query, const Downloader& downloader,
                                         const DownloadProgress& progress) const {
  UPRES_ASSIGN_OR_RETURN(ModelListing listing, find(query));
  if (listing.installed) return listing;
  const CatalogEntry* entry = entry_named(listing.name);
  if (entry == nullptr) return internal_error(listing.name + ": listed but not in the catalog");
  UPRES_RETURN_IF_ERROR(download_entry(*entry, downloader, progress));
  ModelListing after = listing_for_entry(*entry);
  if (!after.installed) {
    return internal_error(listing.name + ": downloaded, but its files are still missing in " +
                          (options_.models_dir / entry->folder).string());
  }
  return after;
}

}  // namespace upres::store
