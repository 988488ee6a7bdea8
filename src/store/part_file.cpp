#include "store/part_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace upres::store {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Makes a rename durable: the folder entry is flushed, not only the file's data.
void sync_folder(const std::filesystem::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems refuse opening folders; the data itself is synced
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<PartFile> PartFile::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return io_error(path.parent_path().string() + ": cannot create folder: " + ec.message());
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(path.string() + ": cannot open: " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int lock_errno = errno;
    ::close(fd);
    if (lock_errno == EWOULDBLOCK) {
      return io_error(path.string() + ": another download of this file is in progress");
    }
    return io_error(path.string() + ": cannot lock: " + std::strerror(lock_errno));
  }
  return PartFile(path, fd);
}

PartFile::PartFile(PartFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

PartFile& PartFile::operator=(PartFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PartFile::~PartFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<uint64_t> PartFile::size() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return io_error(path_.string() + ": stat failed: " + errno_text());
  return static_cast<uint64_t>(info.st_size);
}

Status PartFile::append(std::span<const char> bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path_.string() + ": write failed: " + errno_text());
    }
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status PartFile::truncate() {
  if (::ftruncate(fd_, 0) != 0) return io_error(path_.string() + ": truncate failed: " + errno_text());
  return Status::ok();
}

Result<std::string> PartFile::read_head(size_t max_bytes) const {
  std::string head(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    ssize_t n = ::pread(fd_, head.data() + got, max_bytes - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path_.string() + ": read failed: " + errno_text());
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  return head;
}

Status PartFile::sync() {
  if (::fsync(fd_) != 0) return io_error(path_.string() + ": fsync failed: " + errno_text());
  return Status::ok();
}

void PartFile::remove() { ::unlink(path_.c_str()); }

Status PartFile::commit_to(const std::filesystem::path& destination) {
  UPRES_RETURN_IF_ERROR(sync());
  if (::rename(path_.c_str(), destination.c_str()) != 0) {
    return io_error(destination.string() + ": rename from " + path_.filename().string() +
                    " failed: " + errno_text());
  }
  sync_folder(destination.parent_path());
  return Status::ok();
}

}  // namespace upres::store
