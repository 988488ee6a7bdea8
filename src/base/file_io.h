// Whole-file reads and crash-safe writes. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace upres {

Result<std::vector<uint8_t>> read_file_bytes(const std::filesystem::path& path);

// Writes `bytes` to a temporary file in the same folder, flushes it to disk, then renames it
// over `path`, so a reader (or a crash) sees either the old file or the whole new one.
Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// Like write_file_atomic, but refuses to replace an existing file (link + unlink, not rename).
// Returns NotFound-free kIoError with "exists" in the message when `path` is taken.
Status write_file_exclusive(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// The temporary name write_file_* uses for `path`: hidden, same folder, ".part" suffix.
std::filesystem::path temporary_path_for(const std::filesystem::path& path);

}  // namespace upres
