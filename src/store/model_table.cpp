#include "store/model_table.h"

#include <algorithm>
#include <array>
#include <vector>

namespace upres::store {
namespace {

constexpr size_t kColumns = 5;
using Row = std::array<std::string, kColumns>;

std::string location_of(const ModelListing& row) {
  if (row.installed && !row.files.empty()) return row.files.front().string();
  if (!row.url.empty()) return row.url;
  return row.source + " (scripts/setup.sh)";
}

Row cells_of(const ModelListing& row) {
  std::string scale = row.native_scale > 0 ? std::to_string(row.native_scale) + "x" : "-";
  std::string kind(row.user_file ? "user " : "");
  kind += model_kind_name(row.kind);
  return {row.name, kind, scale, std::string(model_status_name(row)), location_of(row)};
}

}  // namespace

std::string_view model_status_name(const ModelListing& row) {
  if (row.installed) return "installed";
  return row.url.empty() ? "setup" : "download";
}

std::string format_model_table(std::span<const ModelListing> rows) {
  std::vector<Row> table;
  table.push_back({"NAME", "KIND", "SCALE", "STATUS", "LOCATION"});
  for (const ModelListing& row : rows) table.push_back(cells_of(row));
  std::array<size_t, kColumns> widths{};
  for (const Row& row : table) {
    for (size_t c = 0; c < kColumns; ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const Row& row : table) {
    for (size_t c = 0; c < kColumns; ++c) {
      out += row[c];
      if (c + 1 < kColumns) out.append(widths[c] - row[c].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace upres::store
