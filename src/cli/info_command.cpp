#include "cli/info_command.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/backend_registry.h"
#include "image/image_codec.h"
#include "models/face_restorer.h"

namespace upres::cli {
namespace {

// The CPU's model name and the instruction-set flags that decide oneDNN's kernels, from
// /proc/cpuinfo (empty where there is none).
std::string cpu_model_and_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(cpuinfo, line) && (model.empty() || flags.empty())) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon + 2 > line.size()) continue;
    if (line.rfind("model name", 0) == 0 && model.empty()) model = line.substr(colon + 2);
    if (line.rfind("flags", 0) == 0 && flags.empty()) flags = " " + line.substr(colon + 2) + " ";
  }
  if (model.empty()) return "";
  std::string out = model + " (";
  bool first = true;
  for (const char* flag : {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"}) {
    if (flags.find(" " + std::string(flag) + " ") == std::string::npos) continue;
    out += (first ? "" : " ") + std::string(flag);
    first = false;
  }
  return out + ")";
}

int print_cpu() {
  const std::string cpu = cpu_model_and_flags();
  if (!cpu.empty()) std::printf("cpu: %s\n", cpu.c_str());
  auto backend = engine::create_backend("cpu");
  if (!backend.is_ok()) {
    std::printf("backend: %s\n", backend.status().to_string().c_str());
    std::printf("precision auto: fp32 (reference backend)\n");
    return 0;
  }
  std::printf("backend: %s\n", (*backend)->describe().c_str());
  if ((*backend)->fastest_compute_dtype() == DType::kBF16) {
    std::printf("precision auto: bf16 for models that keep 45 dB PSNR against fp32 in bf16, fp32 for the others\n");
  } else {
    std::printf("precision auto: fp32 (bf16 is not faster than fp32 on this CPU)\n");
  }
  const bool bf16_fastest = (*backend)->fastest_compute_dtype() == DType::kBF16;
  const auto face_dtype = [bf16_fastest](const char* architecture) {
    return bf16_fastest && models::face_restorer_is_faithful_in_bf16(architecture) ? "bf16" : "fp32";
  };
  std::printf("precision auto, faces: GFPGAN %s, CodeFormer %s; detection and parsing fp32\n", face_dtype("GFPGAN"),
              face_dtype("CodeFormer"));
  return 0;
}

}  // namespace

InfoCommand::InfoCommand(CLI::App& app) {
  command_ = app.add_subcommand("info", "Print an image's infotext and text chunks, or (--cpu) the CPU upres sees");
  command_->add_option("files", files_, "image files");
  command_->add_flag("--cpu", cpu_, "print the CPU class, the kernels' layout and what --precision auto runs");
}

int InfoCommand::run() {
  if (cpu_) return print_cpu();
  if (files_.empty()) {
    std::fprintf(stderr, "upres info: give image files, or --cpu\n");
    return 2;
  }
  int exit_code = 0;
  for (const std::string& file : files_) {
    auto picture = image::read_image(file);
    if (!picture.is_ok()) {
      std::fprintf(stderr, "upres: %s\n", picture.status().to_string().c_str());
      exit_code = 1;
      continue;
    }
    const image::ImageMetadata& metadata = picture->metadata;
    if (files_.size() > 1) std::printf("%s:\n", file.c_str());
    std::printf("size: %dx%d, %d channels, %d-bit%s%s\n", picture->width(), picture->height(),
                picture->channels(), metadata.bits_per_sample,
                metadata.icc_profile.empty() ? "" : ", ICC profile",
                metadata.exif.empty() ? "" : ", EXIF");
    if (metadata.text.empty()) std::printf("no text chunks\n");
    for (const auto& [key, value] : metadata.text) std::printf("%s: %s\n", key.c_str(), value.c_str());
  }
  return exit_code;
}

}  // namespace upres::cli
