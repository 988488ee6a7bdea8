#include "pipeline/input_list.h"

#include <glob.h>

#include <algorithm>
#include <cctype>

namespace upres::pipeline {
namespace fs = std::filesystem;
namespace {

// `root`: what the items' names are relative to (the folder itself, or a glob's fixed part).
void add_folder(const fs::path& dir, const fs::path& root, bool recursive, std::vector<InputItem>& items) {
  std::vector<fs::path> found;
  std::error_code ec;
  auto consider = [&](const fs::directory_entry& entry) {
    if (entry.is_regular_file(ec) && has_image_extension(entry.path())) found.push_back(entry.path());
  };
  if (recursive) {
    for (const auto& entry : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec))
      consider(entry);
  } else {
    for (const auto& entry : fs::directory_iterator(dir, ec)) consider(entry);
  }
  if (ec) {
    items.push_back({dir, io_error(dir.string() + ": cannot list folder: " + ec.message()), dir.parent_path()});
    return;
  }
  std::sort(found.begin(), found.end());
  for (auto& path : found) items.push_back({std::move(path), Status::ok(), root});
}

// The leading folders of a glob pattern that hold no wildcard: "in/*/a.png" -> "in".
fs::path glob_root(const std::string& pattern) {
  fs::path root;
  for (const fs::path& part : fs::path(pattern).parent_path()) {
    if (part.string().find_first_of("*?[") != std::string::npos) break;
    root /= part;
  }
  return root;
}

void add_glob(const std::string& pattern, bool recursive, std::vector<InputItem>& items) {
  glob_t matches{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  if (rc != 0) {
    items.push_back({pattern, not_found(pattern + ": no file matches"), glob_root(pattern)});
  } else {
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      fs::path path = matches.gl_pathv[i];
      std::error_code ec;
      if (fs::is_directory(path, ec)) add_folder(path, glob_root(pattern), recursive, items);
      else items.push_back({path, Status::ok(), glob_root(pattern)});
    }
  }
  ::globfree(&matches);
}

}  // namespace

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"})
    if (ext == known) return true;
  return false;
}

InputList expand_inputs(const std::vector<std::string>& arguments, bool recursive) {
  InputList list;
  for (const std::string& argument : arguments) {
    std::error_code ec;
    if (fs::is_directory(argument, ec)) {
      list.is_batch = true;
      add_folder(argument, argument, recursive, list.items);
    } else if (fs::exists(argument, ec)) {
      list.items.push_back({argument, Status::ok(), fs::path(argument).parent_path()});
    } else if (argument.find_first_of("*?[") != std::string::npos) {
      list.is_batch = true;
      add_glob(argument, recursive, list.items);
    } else {
      list.items.push_back({argument, not_found(argument + ": no such file or folder"), fs::path(argument).parent_path()});
    }
  }
  if (list.items.size() > 1) list.is_batch = true;
  return list;
}

}  // namespace upres::pipeline
