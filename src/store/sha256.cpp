#include "store/sha256.h"

#include <openssl/evp.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace upres::store {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  // Allocation failure or a FIPS provider without SHA-256 is a broken installation, not input.
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    assert(false && "OpenSSL cannot provide SHA-256");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_->md); }

void Sha256::update(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(context_->md, bytes.data(), bytes.size());
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

Result<std::string> sha256_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path.string() + ": cannot open for hashing: " + std::strerror(errno));
  Sha256 hasher;
  std::vector<uint8_t> buffer(1 << 20);
  while (in) {
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    std::streamsize got = in.gcount();
    if (got > 0) hasher.update(std::span(buffer.data(), static_cast<size_t>(got)));
  }
  if (in.bad()) return io_error(path.string() + ": read failed while hashing");
  return hasher.hex_digest();
}

}  // namespace upres::store
