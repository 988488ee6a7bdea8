// Lookup in the table that embed_assets.cmake generates from web/.
#include "server/static_assets.h"

#include <string>
#include <vector>

namespace upres::server {

// Generated: static_assets_data.cpp in the build folder.
struct EmbeddedFile {
  const char* path;
  const unsigned char* bytes;
  size_t size;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

namespace {

std::string_view content_type_for(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".png")) return "image/png";
  if (ends_with(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

std::vector<StaticAsset> build_table() {
  std::vector<StaticAsset> table;
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    const EmbeddedFile& file = kEmbeddedFiles[i];
    table.push_back({file.path, content_type_for(file.path),
                     std::string_view(reinterpret_cast<const char*>(file.bytes), file.size)});
  }
  return table;
}

}  // namespace

const StaticAsset* find_static_asset(std::string_view request_path) {
  static const std::vector<StaticAsset> table = build_table();
  if (request_path.empty() || request_path.front() != '/') return nullptr;
  std::string_view name = request_path.substr(1);
  if (name.empty()) name = "index.html";
  for (const StaticAsset& asset : table)
    if (asset.path == name) return &asset;
  return nullptr;
}

}  // namespace upres::server
