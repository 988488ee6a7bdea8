// Path-traversal guard: lexical checks first, then the canonical path is checked against the root.
#include "server/safe_path.h"

namespace upres::server {

Result<std::filesystem::path> resolve_under_root(const std::filesystem::path& root,
                                                 std::string_view relative,
                                                 std::string_view field) {
  const std::string name(field);
  if (root.empty()) return invalid_argument(name + ": no root folder is configured on this server");
  if (relative.find('\0') != std::string_view::npos)
    return invalid_argument(name + ": NUL in path");
  const std::filesystem::path requested(relative);
  if (requested.is_absolute() || requested.has_root_name() || requested.has_root_directory())
    return invalid_argument(name + ": must be a path relative to the configured folder");
  for (const auto& part : requested) {
    if (part == "..") return invalid_argument(name + ": \"..\" is not allowed");
  }
  std::error_code error;
  const std::filesystem::path canonical_root = std::filesystem::weakly_canonical(root, error);
  if (error) return invalid_argument(name + ": configured folder: " + error.message());
  std::filesystem::path resolved =
      std::filesystem::weakly_canonical(canonical_root / requested, error);
  if (error) return invalid_argument(name + ": " + error.message());
  if (!resolved.has_filename() && resolved.has_parent_path()) resolved = resolved.parent_path();
  // Compare component-wise: "/data/root2" must not pass as inside "/data/root".
  auto r = canonical_root.begin();
  auto p = resolved.begin();
  for (; r != canonical_root.end(); ++r, ++p) {
    if (r->empty()) continue;  // trailing separator
    if (p == resolved.end() || *p != *r)
      return invalid_argument(name + ": leaves the configured folder");
  }
  return resolved;
}

}  // namespace upres::server
