// A batch run as the CLI shows it: progress on stderr, SIGINT/SIGTERM cancel between (and inside)
// items, the summary, then each written file's path on stdout. Shared by `upscale` and `outpaint`.
// Not reentrant (the signal handler reaches one batch at a time).
#pragma once

#include <functional>

#include "pipeline/batch_run.h"

namespace upres::cli {

// Runs `batch` with the CLI's progress, listener and signal handling; returns the exit status
// (0 when every item succeeded, 1 otherwise).
int run_reported_batch(
    const std::function<pipeline::BatchReport(pipeline::Progress&, const pipeline::BatchListener&)>& batch);

}  // namespace upres::cli
