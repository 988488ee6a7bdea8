// ServerProcess: fork/exec with a stdout pipe; SIGTERM then SIGKILL on teardown.
#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>

namespace upres::server::testing {

ServerProcess::ServerProcess(const std::string& executable, std::vector<std::string> arguments) {
  arguments.insert(arguments.end(), {"--listen", "127.0.0.1", "--port", "0"});
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(executable.c_str()));
    for (auto& a : arguments) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(executable.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::regex url(R"(serving on http://[^:\s]+:(\d+))");
  std::smatch match;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd fd{pipe_fds[0], POLLIN, 0};
    if (poll(&fd, 1, 200) <= 0) continue;
    char buffer[256];
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    output_.append(buffer, static_cast<size_t>(n));
    if (std::regex_search(output_, match, url)) {
      port_ = std::stoi(match[1]);
      break;
    }
  }
  close(pipe_fds[0]);  // later prints to stdout get EPIPE, which the server ignores
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    usleep(100'000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string test_server_path() { return UPRES_TEST_SERVER; }

}  // namespace upres::server::testing
