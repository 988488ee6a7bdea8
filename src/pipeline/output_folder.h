// OutputFolder: where results are saved (default outputs/extras-images). Single results are
// numbered 00000.png, 00001.png, ...; batch items keep their stem. Nothing is ever overwritten,
// and every file appears whole or not at all (written to a hidden temporary, then linked).
// Thread-safe: concurrent saves pick distinct names.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "image/image.h"
#include "image/image_codec.h"

namespace upres::pipeline {

class OutputFolder {
 public:
  // Creates `dir` if needed and removes temporaries left by killed upres processes.
  static Result<OutputFolder> open(const std::filesystem::path& dir, image::EncodeOptions options);

  const std::filesystem::path& dir() const { return dir_; }
  const image::EncodeOptions& encode_options() const { return options_; }

  // Saves as the next free number: one past the highest 5-digit number already in the folder.
  Result<std::filesystem::path> save_numbered(const image::Image& image) const;

  // Saves as <stem>.<ext>, or <stem>-1.<ext>, <stem>-2.<ext>, ... when that name is taken.
  Result<std::filesystem::path> save_named(const image::Image& image, const std::string& stem) const;

  // Whether <stem>.<ext> exists already (for --skip-existing).
  bool has_result_for(const std::string& stem) const;

 private:
  OutputFolder(std::filesystem::path dir, image::EncodeOptions options)
      : dir_(std::move(dir)), options_(options) {}
  std::filesystem::path path_for(const std::string& name) const;

  std::filesystem::path dir_;
  image::EncodeOptions options_;
};

}  // namespace upres::pipeline
