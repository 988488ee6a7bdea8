// ModelListing: one row of what the models folder offers, installed or downloadable, as the store
// reports it and `upres models` prints it. Plain value type.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "store/model_catalog.h"

namespace upres::store {

struct ModelListing {
  std::string name;          // display name, or the file stem of a user-dropped file
  std::string folder;        // under the models folder ("RealESRGAN")
  std::string architecture;  // catalog hint ("RRDBNet"); empty for a user file (detect it)
  ModelKind kind = ModelKind::kUpscaler;
  ModelFormat format = ModelFormat::kPyTorch;
  int native_scale = 0;      // 0 = unknown (a user file without "4x" or "x4" in its name)
  bool installed = false;
  bool user_file = false;
  // On disk when installed; otherwise where a download puts them. An ncnn pair is {.param, .bin}.
  std::vector<std::filesystem::path> files;
  std::string url;     // where a download comes from (mirror applied); empty when none
  std::string source;  // "npm:waifu2x@1.6.5", "url" or "user"
};

}  // namespace upres::store
