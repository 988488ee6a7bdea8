// Starting libvips once and mapping its errors onto Status. Thread-safe.
#include "image/vips_runtime.h"

#include <mutex>
#include <string>

namespace upres::image {
namespace {

// libvips logs a warning for each damaged tile of a file that upres already refuses with a
// Status naming the file; those lines would only clutter a batch report.
void drop_vips_warning(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

}  // namespace

Status ensure_vips_started() {
  static std::once_flag once;
  static bool started = false;
  std::call_once(once, [] {
    started = VIPS_INIT("upres") == 0;
    if (started) {
      // Loads from memory are keyed by buffer address in the operation cache; a reused address
      // with new bytes could hit a stale entry, and upres never repeats an operation anyway.
      vips_cache_set_max(0);
      vips_leak_set(FALSE);
      g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_vips_warning, nullptr);
    }
  });
  if (!started) return internal_error("libvips failed to start: " + std::string(vips_error_buffer()));
  return Status::ok();
}

Status status_from_vips_error(StatusCode code, std::string_view name, std::string_view action,
                              const vips::VError& error) {
  std::string detail = error.what();
  vips_error_clear();
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  for (char& c : detail)
    if (c == '\n') c = ';';
  if (detail.size() > 400) detail = detail.substr(0, 400) + "...";
  std::string message(name);
  message += ": ";
  message += action;
  if (!detail.empty()) message += " (" + detail + ")";
  return Status(code, std::move(message));
}

}  // namespace upres::image
