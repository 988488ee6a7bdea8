// ConnectionStream: the httplib::Stream a worker hands to httplib for one request: reads come from
// the request ConnectionServer has already received and framed (head, then body), writes go to the
// client's socket with a write timeout. Not thread-safe: one per request, on one worker thread.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <utility>

namespace upres::server {

// "1.2.3.4" or "::1", and the port, of an IPv4 or IPv6 socket address; {"", 0} for others.
std::pair<std::string, int> socket_address_text(const sockaddr_storage& address);

class ConnectionStream : public httplib::Stream {
 public:
  // The strings and the socket must outlive the stream; the socket may be non-blocking.
  ConnectionStream(int socket, const std::string& head, const std::string& body,
                   std::pair<std::string, int> client, std::chrono::milliseconds write_timeout);

  bool is_readable() const override { return position_ < head_.size() + body_.size(); }
  bool is_writable() const override { return wait_writable(); }
  // Copies up to `size` request bytes; 0 once the request is used up.
  ssize_t read(char* out, size_t size) override;
  // All of `data`, or -1 when the client is gone or stalls past the write timeout.
  ssize_t write(const char* data, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

 private:
  bool wait_writable() const;

  const int socket_;
  const std::string& head_;
  const std::string& body_;
  const std::pair<std::string, int> client_;
  const int write_timeout_ms_;
  size_t position_ = 0;
};

}  // namespace upres::server
