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
  std::string output;  // stdout and stderr together
};

// `upres <arguments>` through /bin/sh (arguments are shell words: quote paths with quoted()).
inline CommandRun run_upres(const std::string& arguments) {
  std::string command = std::string(UPRES_BINARY) + " " + arguments + " 2>&1";
  CommandRun run{-1, ""};
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A path as one single-quoted shell word.
inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace upres::cli_testing
