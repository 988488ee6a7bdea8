// Random-weight GFPGAN files for face tests, made by tests/reference/gfpgan_torch.py once per build
// folder (in a temporary folder renamed into place, so tests running in parallel never see a
// half-written set). Header-only test helper.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace upres::testing {

// The folder holding gfpgan512_narrow16.pth and friends under `build_dir`, or an empty path with
// the reason in `skip_reason` when /usr/bin/python3 with torch is not there or the script failed.
inline std::filesystem::path gfpgan_fixtures(const std::filesystem::path& build_dir, std::string* skip_reason) {
  namespace fs = std::filesystem;
  const fs::path dir = build_dir / "face_gfpgan_fixtures";
  if (fs::exists(dir / "manifest.json")) return dir;
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
    *skip_reason = "/usr/bin/python3 with torch is not available";
    return {};
  }
  const fs::path staging = dir.string() + ".tmp" + std::to_string(::getpid());
  const std::string command = "/usr/bin/python3 " + std::string(UPRES_SOURCE_DIR) +
                              "/tests/reference/gfpgan_torch.py " + staging.string() + " >/dev/null";
  if (std::system(command.c_str()) != 0) {
    *skip_reason = "failed: " + command;
    return {};
  }
  std::error_code ec;
  fs::rename(staging, dir, ec);  // another test may have won the race: its set is as good
  fs::remove_all(staging, ec);
  return dir;
}

}  // namespace upres::testing
