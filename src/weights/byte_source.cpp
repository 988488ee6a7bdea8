// ByteSource: mmap-backed or owned immutable bytes.
#include "weights/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_io.h"

namespace upres::weights {

Result<std::shared_ptr<const ByteSource>> ByteSource::map_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = path.string() + ": " + std::strerror(err);
    return err == ENOENT ? not_found(message) : io_error(message);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error(path.string() + ": not a regular file");
  }
  std::shared_ptr<ByteSource> source(new ByteSource());
  source->name_ = path.string();
  if (st.st_size == 0) {
    ::close(fd);
    return std::shared_ptr<const ByteSource>(std::move(source));
  }
  void* mapping = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) {
    UPRES_ASSIGN_OR_RETURN(auto bytes, read_file_bytes(path));
    return from_bytes(std::move(bytes), path.string());
  }
  source->mapping_ = mapping;
  source->data_ = static_cast<const uint8_t*>(mapping);
  source->size_ = static_cast<uint64_t>(st.st_size);
  return std::shared_ptr<const ByteSource>(std::move(source));
}

std::shared_ptr<const ByteSource> ByteSource::from_bytes(std::vector<uint8_t> bytes, std::string name) {
  std::shared_ptr<ByteSource> source(new ByteSource());
  source->owned_ = std::move(bytes);
  source->data_ = source->owned_.data();
  source->size_ = source->owned_.size();
  source->name_ = std::move(name);
  return source;
}

ByteSource::~ByteSource() {
  if (mapping_ != nullptr) ::munmap(mapping_, static_cast<size_t>(size_));
}

Result<std::span<const uint8_t>> ByteSource::range(uint64_t offset, uint64_t length,
                                                   std::string_view what) const {
  if (offset > size_ || length > size_ - offset) {
    return corrupt(name_ + ": " + std::string(what) + " at offset " + std::to_string(offset) + " (+" +
                   std::to_string(length) + " bytes) runs past the end of the " + std::to_string(size_) +
                   "-byte file");
  }
  return std::span<const uint8_t>(data_ + offset, static_cast<size_t>(length));
}

}  // namespace upres::weights
