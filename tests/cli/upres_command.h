// Runs the built `upres` binary as a user's shell would, for the CLI tests. Free functions;
// thread-compatible.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace upres::cli_testing {

struct CommandRun {
  int exit_code;
  std::string output;  // stdout, and stderr too unless redirected elsewhere
};

// `upres <arguments> <redirect>` through /bin/sh (arguments are shell words: quote paths with
// quoted()); `output` is what reaches stdout, so the default redirect collects stderr too and
// "2>/dev/null" keeps stdout alone. exit_code is -1 when the shell did not run or exit.
inline CommandRun run_upres(const std::string& arguments, const std::string& redirect = "2>&1") {
  const std::string command = std::string(UPRES_BINARY) + " " + arguments + " " + redirect;
  CommandRun run{-1, ""};
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A path as one single-quoted shell word.
inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace upres::cli_testing
