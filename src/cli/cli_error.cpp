#include "cli/cli_error.h"

#include <cstdio>

namespace upres::cli {

int report_error(const Status& error, int exit_status) {
  std::fprintf(stderr, "upres: %s\n", error.to_string().c_str());
  return exit_status;
}

}  // namespace upres::cli
