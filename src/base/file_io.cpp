#include "base/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace upres {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes the bytes to a fresh temporary file beside `path` and fsyncs it.
Result<std::filesystem::path> write_temporary(const std::filesystem::path& path,
                                              std::span<const uint8_t> bytes) {
  std::filesystem::path temp = temporary_path_for(path);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(temp.string() + ": cannot create: " + errno_text());
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = io_error(path.string() + ": write failed: " + errno_text());
      ::close(fd);
      ::unlink(temp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return io_error(path.string() + ": flush failed: " + errno_text());
  }
  return temp;
}

}  // namespace

Result<std::vector<uint8_t>> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return not_found(path.string() + ": no such file");
    return io_error(path.string() + ": cannot open: " + errno_text());
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(path.string() + ": read failed");
  return bytes;
}

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  // Unique per process and call so concurrent writers never share a temporary.
  static std::atomic<unsigned> counter{0};
  std::string name = "." + path.filename().string() + "." + std::to_string(::getpid()) + "." +
                     std::to_string(counter++) + ".part";
  return path.parent_path() / name;
}

Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  UPRES_ASSIGN_OR_RETURN(std::filesystem::path temp, write_temporary(path, bytes));
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status status = io_error(path.string() + ": rename failed: " + errno_text());
    ::unlink(temp.c_str());
    return status;
  }
  return Status::ok();
}

Status write_file_exclusive(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  UPRES_ASSIGN_OR_RETURN(std::filesystem::path temp, write_temporary(path, bytes));
  // link() fails with EEXIST instead of replacing, which rename() would do.
  int rc = ::link(temp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(temp.c_str());
  if (rc != 0) {
    if (link_errno == EEXIST) return io_error(path.string() + ": exists");
    return io_error(path.string() + ": cannot create: " + std::strerror(link_errno));
  }
  return Status::ok();
}

}  // namespace upres
