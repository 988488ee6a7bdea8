// Turning the INPUT arguments of a batch (files, folders, globs) into a list of image files.
// Pure function of the file system; thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace upres::pipeline {

struct InputItem {
  std::filesystem::path path;
  Status problem;  // not OK when the argument named nothing usable; the batch reports it and goes on
  // The folder the item was found under (a folder argument, a glob's fixed leading folders, a
  // file's parent): path relative to it names the item the same way on every machine.
  std::filesystem::path root;
};

struct InputList {
  std::vector<InputItem> items;
  bool is_batch = false;  // more than one item, or any folder or glob: results keep their stems
};

// Files are taken as given (whatever their extension: the decoder decides); folders give their
// image files (by extension, sorted; with `recursive`, sub-folders too); arguments with * ? [ are
// expanded as globs. A missing path or a glob matching nothing becomes an item with a problem.
InputList expand_inputs(const std::vector<std::string>& arguments, bool recursive);

// Whether the extension is one upres reads (png, jpg, jpeg, webp, tif, tiff, bmp, gif).
bool has_image_extension(const std::filesystem::path& path);

}  // namespace upres::pipeline
