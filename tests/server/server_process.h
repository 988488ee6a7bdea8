// ServerProcess: starts a server executable on a free loopback port (--port 0), reads the URL it
// prints, and kills it when destroyed. For tests; not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace upres::server::testing {

class ServerProcess {
 public:
  // Runs `executable` with `arguments` plus "--listen 127.0.0.1 --port 0" and waits (up to 20 s)
  // for its "serving on http://HOST:PORT" line. port() is 0 when that failed.
  ServerProcess(const std::string& executable, std::vector<std::string> arguments);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string startup_output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string output_;
};

// The server binary the API tests run (UPRES_TEST_SERVER, set by CMake).
std::string test_server_path();

}  // namespace upres::server::testing
