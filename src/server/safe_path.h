// Resolving a path a client sent (batch-from-directory input and output folders) inside a root
// the operator configured, so nothing outside it is ever read or written through the API.
// Pure function of the file system; thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/result.h"

namespace upres::server {

// `relative` must be relative, free of ".." components and NUL bytes; the result (symlinks
// resolved, as far as it exists) must lie inside `root`. "" and "." give `root` itself.
// InvalidArgument naming `field` otherwise.
Result<std::filesystem::path> resolve_under_root(const std::filesystem::path& root,
                                                 std::string_view relative, std::string_view field);

}  // namespace upres::server
