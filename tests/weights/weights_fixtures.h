// Test fixtures for the weights readers: the folder tests/reference/weights_fixtures.py fills
// (made once per build by /usr/bin/python3 with torch), and the npm model packages.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace upres::weights::testing {

// The fixture folder, generated on first use; nullopt (with `why` set) when python3 + torch is missing.
std::optional<std::filesystem::path> fixture_dir(std::string* why);
nlohmann::json fixture_manifest(const std::filesystem::path& dir);
std::vector<float> read_f32_file(const std::filesystem::path& path);

// ${UPRES_SOURCE_DIR}/.cache/npm/<package>/package, or nullopt when not unpacked there.
std::optional<std::filesystem::path> npm_package(const std::string& name_version);

}  // namespace upres::weights::testing
