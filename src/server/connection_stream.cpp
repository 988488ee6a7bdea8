// ConnectionStream: buffered request in, socket out.
#include "server/connection_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace upres::server {

std::pair<std::string, int> socket_address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
    port = ntohs(v6.sin6_port);
  }
  return {host, port};
}

ConnectionStream::ConnectionStream(int socket, const std::string& head, const std::string& body,
                                   std::pair<std::string, int> client,
                                   std::chrono::milliseconds write_timeout)
    : socket_(socket),
      head_(head),
      body_(body),
      client_(std::move(client)),
      write_timeout_ms_(static_cast<int>(std::min<int64_t>(write_timeout.count(), 1'000'000'000))) {
}

ssize_t ConnectionStream::read(char* out, size_t size) {
  size_t copied = 0;
  while (copied < size && is_readable()) {
    const bool in_head = position_ < head_.size();
    const std::string& part = in_head ? head_ : body_;
    const size_t offset = in_head ? position_ : position_ - head_.size();
    const size_t n = std::min(size - copied, part.size() - offset);
    std::memcpy(out + copied, part.data() + offset, n);
    copied += n;
    position_ += n;
  }
  return static_cast<ssize_t>(copied);
}

ssize_t ConnectionStream::write(const char* data, size_t size) {
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(socket_, data + sent, size - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_writable()) return -1;  // the client stopped reading: write timeout
    } else {
      return -1;
    }
  }
  return static_cast<ssize_t>(size);
}

bool ConnectionStream::wait_writable() const {
  pollfd poll_fd{socket_, POLLOUT, 0};
  for (;;) {
    const int ready = ::poll(&poll_fd, 1, write_timeout_ms_);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0 && (poll_fd.revents & POLLOUT) && !(poll_fd.revents & (POLLERR | POLLHUP));
  }
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = client_.first;
  port = client_.second;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
  std::tie(ip, port) = socket_address_text(address);
}

}  // namespace upres::server
