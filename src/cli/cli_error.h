// How a command reports an error and ends: one "upres: <error>" line on stderr, then its exit
// status (2 for bad usage, 1 for a failure while running). Thread-compatible (writes stderr).
#pragma once

#include "base/status.h"

namespace upres::cli {

// Prints `error` as the command's error line and returns `exit_status`, so that a command ends
// with `return report_error(status, 2);`.
int report_error(const Status& error, int exit_status);

}  // namespace upres::cli
