// VipsRuntime: starts libvips once per process and turns libvips errors into Status.
// Internal to the image module. Thread-safe (std::call_once).
#pragma once

#include <string_view>

#include <vips/vips8>

#include "base/status.h"

namespace upres::image {

// Starts libvips on first use (VIPS_INIT, operation cache off so buffers are never confused,
// libvips warnings dropped: failures reach the caller as Status instead).
// Returns Internal when libvips cannot start.
Status ensure_vips_started();

// A Status of `code` for a libvips failure while working on `name`; the libvips message is
// trimmed to its first lines and the global libvips error buffer is cleared.
Status status_from_vips_error(StatusCode code, std::string_view name, std::string_view action,
                              const vips::VError& error);

}  // namespace upres::image
