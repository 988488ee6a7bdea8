#include "cli/reported_batch.h"

#include <csignal>
#include <cstdio>

#include "cli/progress_display.h"

namespace upres::cli {
namespace {

pipeline::Progress* g_interruptible = nullptr;

void on_interrupt(int) {
  if (g_interruptible) g_interruptible->cancel();  // lock-free atomic store: signal-safe
}

}  // namespace

int run_reported_batch(
    const std::function<pipeline::BatchReport(pipeline::Progress&, const pipeline::BatchListener&)>& batch) {
  ProgressDisplay display(stderr);
  pipeline::Progress progress([&](const pipeline::ProgressEvent& e) { display.on_progress(e); });
  g_interruptible = &progress;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const pipeline::BatchListener listener{
      [&](size_t i, size_t n, const auto& path) { display.on_item_start(i, n, path); },
      [&](size_t i, size_t n, const auto& outcome) { display.on_item_done(i, n, outcome); }};
  const pipeline::BatchReport report = batch(progress, listener);
  g_interruptible = nullptr;
  display.print_summary(report);
  for (const auto& outcome : report.outcomes)
    if (!outcome.output.empty()) std::printf("%s\n", outcome.output.c_str());
  return report.all_succeeded() ? 0 : 1;
}

}  // namespace upres::cli
