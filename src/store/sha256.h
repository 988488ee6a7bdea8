// Sha256: incremental SHA-256 (OpenSSL EVP) and a whole-file helper, for checking downloads.
// A Sha256 object is not thread-safe; separate objects are independent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"

namespace upres::store {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const uint8_t> bytes);
  // Lowercase hex of the digest. Requires: called once; update() is not called after it.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Lowercase hex SHA-256 of a file's whole content, read in 1 MiB pieces.
Result<std::string> sha256_of_file(const std::filesystem::path& path);

}  // namespace upres::store
