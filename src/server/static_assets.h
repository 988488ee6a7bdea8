// The web page's files (web/), embedded into the binary at build time so `upres serve` works
// offline with nothing beside the binary. Immutable; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace upres::server {

struct StaticAsset {
  std::string_view path;          // relative to web/, e.g. "index.html", "js/app.js"
  std::string_view content_type;  // from the extension
  std::string_view bytes;
};

// The asset for a request path: "/" is "index.html"; "/js/app.js" is "js/app.js". Lookup is by
// exact name in the embedded table, so no request can reach the file system. nullptr if absent.
const StaticAsset* find_static_asset(std::string_view request_path);

}  // namespace upres::server
