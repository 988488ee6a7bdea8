// ModelStore: the models folder (default `models`, laid out as the reference UI's) seen through
// the catalog: what is installed, what can be downloaded, and the files behind a display name or
// path, downloading on first use. Holds no mutable state (every call rescans the folder);
// thread-safe, though two processes resolving the same model download it once each in turn.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/downloader.h"
#include "store/model_catalog.h"
#include "store/model_listing.h"

namespace upres::store {

struct ModelStoreOptions {
  std::filesystem::path models_dir = "models";
  // When set, every download comes from "<mirror_url>/<file name>" instead of the official URL
  // (http://, https:// or file://), for tests and air-gapped machines.
  std::string mirror_url;

  // The options with mirror_url taken from the environment variable UPRES_MODEL_MIRROR.
  static ModelStoreOptions from_environment(std::filesystem::path models_dir = "models");
};

class ModelStore {
 public:
  explicit ModelStore(ModelStoreOptions options,
                      std::span<const CatalogEntry> catalog = model_catalog());

  // Catalog entries in catalog order (installed or not), then user-dropped files by name.
  std::vector<ModelListing> list() const;

  // The model named by a display name (exact, then case-insensitive), the stem of a catalog or
  // user file ("RealESRGAN_x4plus"), or the path of a model file. Never downloads: the listing
  // may be not installed. NotFound names the closest installed choices.
  Result<ModelListing> find(std::string_view name_or_path) const;

  // As find(), then downloads a model that is not installed (each file checked against its
  // sha256 when the catalog has one). NotFound when it has no URL (npm-only: run setup).
  // `progress` reports each file of a multi-file model in turn.
  Result<ModelListing> resolve(std::string_view name_or_path, const Downloader& downloader,
                               const DownloadProgress& progress = {}) const;

  // The URL a catalog file is downloaded from, after the mirror; empty when it has none.
  std::string url_for(const CatalogFile& file) const;

  const ModelStoreOptions& options() const { return options_; }

 private:
  ModelListing listing_for_entry(const CatalogEntry& entry) const;
  std::filesystem::path path_for(const CatalogEntry& entry, const CatalogFile& file) const;
  const CatalogEntry* entry_named(std::string_view name) const;
  Status download_entry(const CatalogEntry& entry, const Downloader& downloader,
                        const DownloadProgress& progress) const;

  ModelStoreOptions options_;
  std::span<const CatalogEntry> catalog_;
};

}  // namespace upres::store
