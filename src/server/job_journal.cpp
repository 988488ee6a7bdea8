#include "server/job_journal.h"

#include "base/file_io.h"
#include "store/sha256.h"

namespace upres::server {
namespace fs = std::filesystem;

fs::path job_journal_path(const fs::path& output_dir, const std::string& key) {
  store::Sha256 hash;
  hash.update({reinterpret_cast<const uint8_t*>(key.data()), key.size()});
  return output_dir / (".upres-job-" + hash.hex_digest().substr(0, 16) + ".json");
}

bool job_journal_exists(const fs::path& journal) {
  std::error_code ec;
  return fs::is_regular_file(journal, ec);
}

Status write_job_journal(const fs::path& journal, const std::string& description) {
  std::error_code ec;
  fs::create_directories(journal.parent_path(), ec);
  if (ec) return io_error(journal.parent_path().string() + ": cannot create output folder: " + ec.message());
  return write_file_atomic(journal, {reinterpret_cast<const uint8_t*>(description.data()), description.size()});
}

void remove_job_journal(const fs::path& journal) {
  std::error_code ec;
  fs::remove(journal, ec);
}

}  // namespace upres::server
