// Raw EXIF (TIFF structure) reading and append-only editing. Offsets in a TIFF structure are
// relative to its header, so appending new IFDs keeps every existing offset valid.
// Pure functions; thread-safe.
#include "image/exif_block.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "image/text_encoding.h"

namespace upres::image {

std::span<const uint8_t> exif_tiff_structure(std::span<const uint8_t> exif) {
  if (exif.size() >= 6 && std::memcmp(exif.data(), "Exif\0\0", 6) == 0) exif = exif.subspan(6);
  if (exif.size() < 8) return {};
  const bool little = exif[0] == 'I' && exif[1] == 'I' && exif[2] == 42 && exif[3] == 0;
  const bool big = exif[0] == 'M' && exif[1] == 'M' && exif[2] == 0 && exif[3] == 42;
  return little || big ? exif : std::span<const uint8_t>{};
}

namespace {

constexpr uint16_t kTagOrientation = 0x0112;
constexpr uint16_t kTagExifIfd = 0x8769;
constexpr uint16_t kTagUserComment = 0x9286;
constexpr uint16_t kTagPixelXDimension = 0xA002;
constexpr uint16_t kTagPixelYDimension = 0xA003;
constexpr uint16_t kTypeShort = 3;
constexpr uint16_t kTypeLong = 4;
constexpr uint16_t kTypeUndefined = 7;
constexpr size_t kMaxIfdEntries = 1000;

using Entry = std::array<uint8_t, 12>;

// A bounds-checked view of the TIFF structure inside an EXIF block.
class TiffView {
 public:
  explicit TiffView(std::span<const uint8_t> block) {
    tiff_ = exif_tiff_structure(block);
    if (tiff_.empty()) return;
    base_ = static_cast<size_t>(tiff_.data() - block.data());
    big_ = tiff_[0] == 'M';
    valid_ = true;
  }
  bool valid() const { return valid_; }
  bool big_endian() const { return big_; }
  size_t base() const { return base_; }
  size_t size() const { return tiff_.size(); }

  std::optional<uint16_t> u16(size_t off) const {
    if (off > tiff_.size() || tiff_.size() - off < 2) return std::nullopt;
    const uint8_t* p = tiff_.data() + off;
    return static_cast<uint16_t>(big_ ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]));
  }
  std::optional<uint32_t> u32(size_t off) const {
    if (off > tiff_.size() || tiff_.size() - off < 4) return std::nullopt;
    const uint8_t* p = tiff_.data() + off;
    return big_ ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
  }
  // Offsets (from the TIFF header) of the 12-byte entries of the IFD at `ifd`; nullopt when it
  // does not fit in the block.
  std::optional<std::vector<size_t>> entries(size_t ifd) const {
    const std::optional<uint16_t> count = u16(ifd);
    if (!count || *count > kMaxIfdEntries || tiff_.size() - ifd - 2 < size_t{*count} * 12 + 4)
      return std::nullopt;
    std::vector<size_t> out;
    for (size_t i = 0; i < *count; ++i) out.push_back(ifd + 2 + i * 12);
    return out;
  }
  std::optional<size_t> find(size_t ifd, uint16_t tag) const {
    const auto list = entries(ifd);
    if (!list) return std::nullopt;
    for (size_t e : *list)
      if (u16(e) == tag) return e;
    return std::nullopt;
  }
  Entry entry(size_t off) const {
    Entry e{};
    std::memcpy(e.data(), tiff_.data() + off, 12);
    return e;
  }

 private:
  std::span<const uint8_t> tiff_;
  size_t base_ = 0;
  bool big_ = false;
  bool valid_ = false;
};

void put_u16(uint8_t* p, uint16_t v, bool big) {
  p[big ? 0 : 1] = static_cast<uint8_t>(v >> 8);
  p[big ? 1 : 0] = static_cast<uint8_t>(v & 0xFF);
}

void put_u32(uint8_t* p, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) p[big ? i : 3 - i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

Entry make_entry(uint16_t tag, uint16_t type, uint32_t count, uint32_t value, bool big) {
  Entry e{};
  put_u16(e.data(), tag, big);
  put_u16(e.data() + 2, type, big);
  put_u32(e.data() + 4, count, big);
  put_u32(e.data() + 8, value, big);
  return e;
}

// Appends an IFD holding `entries` (sorted here by tag) to `out`; returns its offset from the
// TIFF header at `base`.
uint32_t append_ifd(std::vector<uint8_t>& out, size_t base, std::vector<Entry> entries,
                    uint32_t next_ifd, bool big) {
  if ((out.size() - base) % 2) out.push_back(0);  // IFDs start on a word boundary
  const auto tag_of = [big](const Entry& e) {
    return static_cast<uint16_t>(big ? (e[0] << 8 | e[1]) : (e[1] << 8 | e[0]));
  };
  std::sort(entries.begin(), entries.end(),
            [&](const Entry& a, const Entry& b) { return tag_of(a) < tag_of(b); });
  const auto offset = static_cast<uint32_t>(out.size() - base);
  std::vector<uint8_t> ifd(2 + entries.size() * 12 + 4);
  put_u16(ifd.data(), static_cast<uint16_t>(entries.size()), big);
  for (size_t i = 0; i < entries.size(); ++i)
    std::memcpy(ifd.data() + 2 + i * 12, entries[i].data(), 12);
  put_u32(ifd.data() + ifd.size() - 4, next_ifd, big);
  out.insert(out.end(), ifd.begin(), ifd.end());
  return offset;
}

std::string decode_user_comment(std::string_view raw, bool big_endian) {
  std::string text;
  if (raw.size() >= 8 && raw.substr(0, 8) == std::string_view("UNICODE\0", 8)) {
    std::string_view units = raw.substr(8);
    if (units.size() >= 2 && static_cast<uint8_t>(units[0]) == 0xFE && static_cast<uint8_t>(units[1]) == 0xFF) {
      big_endian = true;
      units.remove_prefix(2);
    } else if (units.size() >= 2 && static_cast<uint8_t>(units[0]) == 0xFF && static_cast<uint8_t>(units[1]) == 0xFE) {
      big_endian = false;
      units.remove_prefix(2);
    }
    text = utf16_to_utf8(units, big_endian);
  } else {
    const bool has_prefix = raw.size() >= 8 && (raw.substr(0, 8) == std::string_view("ASCII\0\0\0", 8) ||
                                                raw.substr(0, 8) == std::string_view("\0\0\0\0\0\0\0\0", 8));
    text = std::string(has_prefix ? raw.substr(8) : raw);
    if (!is_valid_utf8(text)) text = latin1_to_utf8(text);
  }
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

// Offset (from the TIFF header) of the Exif IFD, when IFD0 points at one.
std::optional<size_t> exif_ifd_of(const TiffView& tiff) {
  const auto pointer = tiff.find(*tiff.u32(4), kTagExifIfd);
  if (!pointer) return std::nullopt;
  return tiff.u32(*pointer + 8);
}

// A one-value SHORT or LONG entry's value.
std::optional<uint32_t> unsigned_value(const TiffView& tiff, size_t entry) {
  if (tiff.u32(entry + 4) != 1) return std::nullopt;
  const auto type = tiff.u16(entry + 2);
  if (type == kTypeShort) return tiff.u16(entry + 8);
  if (type == kTypeLong) return tiff.u32(entry + 8);
  return std::nullopt;
}

}  // namespace

std::optional<int> exif_orientation(std::span<const uint8_t> exif) {
  const TiffView tiff(exif);
  if (!tiff.valid()) return std::nullopt;
  const auto entry = tiff.find(*tiff.u32(4), kTagOrientation);
  if (!entry) return std::nullopt;
  const auto value = tiff.u16(*entry + 8);
  if (!value || *value < 1 || *value > 8) return std::nullopt;
  return *value;
}

bool reset_exif_orientation(std::vector<uint8_t>& exif) {
  const TiffView tiff(exif);
  if (!tiff.valid()) return false;
  const auto entry = tiff.find(*tiff.u32(4), kTagOrientation);
  if (!entry || tiff.u16(*entry + 2) != kTypeShort) return false;  // Orientation is a SHORT
  put_u16(exif.data() + tiff.base() + *entry + 8, 1, tiff.big_endian());
  return true;
}

bool set_exif_pixel_dimensions(std::vector<uint8_t>& exif, uint32_t width, uint32_t height) {
  const TiffView tiff(exif);
  if (!tiff.valid()) return false;
  const auto exif_ifd = exif_ifd_of(tiff);
  if (!exif_ifd) return false;
  bool changed = false;
  for (const auto& [tag, value] : {std::pair{kTagPixelXDimension, width}, std::pair{kTagPixelYDimension, height}}) {
    const auto entry = tiff.find(*exif_ifd, tag);
    if (!entry || !unsigned_value(tiff, *entry)) continue;
    uint8_t* p = exif.data() + tiff.base() + *entry;
    put_u16(p + 2, value <= UINT16_MAX ? kTypeShort : kTypeLong, tiff.big_endian());
    put_u32(p + 8, 0, tiff.big_endian());  // a SHORT sits in the value field's first two bytes
    if (value <= UINT16_MAX) put_u16(p + 8, static_cast<uint16_t>(value), tiff.big_endian());
    else put_u32(p + 8, value, tiff.big_endian());
    changed = true;
  }
  return changed;
}

std::optional<std::pair<uint32_t, uint32_t>> exif_pixel_dimensions(std::span<const uint8_t> exif) {
  const TiffView tiff(exif);
  if (!tiff.valid()) return std::nullopt;
  const auto exif_ifd = exif_ifd_of(tiff);
  if (!exif_ifd) return std::nullopt;
  const auto x = tiff.find(*exif_ifd, kTagPixelXDimension), y = tiff.find(*exif_ifd, kTagPixelYDimension);
  if (!x || !y) return std::nullopt;
  const auto width = unsigned_value(tiff, *x), height = unsigned_value(tiff, *y);
  if (!width || !height) return std::nullopt;
  return std::pair{*width, *height};
}

std::optional<std::string> read_exif_user_comment(std::span<const uint8_t> exif) {
  const TiffView tiff(exif);
  if (!tiff.valid()) return std::nullopt;
  const auto exif_ifd = exif_ifd_of(tiff);
  if (!exif_ifd) return std::nullopt;
  const auto entry = tiff.find(*exif_ifd, kTagUserComment);
  if (!entry) return std::nullopt;
  const uint32_t count = tiff.u32(*entry + 4).value_or(0);
  const size_t data = count <= 4 ? *entry + 8 : tiff.u32(*entry + 8).value_or(0);
  if (data > tiff.size() || tiff.size() - data < count) return std::nullopt;
  const std::string_view raw(reinterpret_cast<const char*>(exif.data() + tiff.base() + data), count);
  return decode_user_comment(raw, tiff.big_endian());
}

Result<std::vector<uint8_t>> set_exif_user_comment(std::span<const uint8_t> exif,
                                                   std::string_view text) {
  static constexpr uint8_t kEmptyBlock[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                            0, 0, 0, 0, 0, 0};
  if (exif.empty()) exif = kEmptyBlock;
  const TiffView tiff(exif);
  if (!tiff.valid()) return corrupt("EXIF block: not a TIFF structure");
  const bool big = tiff.big_endian();
  const size_t base = tiff.base();
  const uint32_t ifd0 = *tiff.u32(4);
  const auto ifd0_entries = tiff.entries(ifd0);
  if (!ifd0_entries) return corrupt("EXIF block: IFD0 at offset " + std::to_string(ifd0) + " is truncated");

  std::vector<uint8_t> out(exif.begin(), exif.end());
  // The comment value, then the new Exif IFD that points at it.
  std::string comment("UNICODE\0", 8);
  comment += utf8_to_utf16(text, big);
  if ((out.size() - base) % 2) out.push_back(0);
  const auto comment_offset = static_cast<uint32_t>(out.size() - base);
  out.insert(out.end(), comment.begin(), comment.end());
  std::vector<Entry> exif_entries;
  const auto pointer = tiff.find(ifd0, kTagExifIfd);
  if (pointer) {
    const auto old_entries = tiff.entries(tiff.u32(*pointer + 8).value_or(UINT32_MAX));
    if (!old_entries) return corrupt("EXIF block: the Exif IFD is truncated");
    for (size_t e : *old_entries)
      if (tiff.u16(e) != kTagUserComment) exif_entries.push_back(tiff.entry(e));
  }
  exif_entries.push_back(make_entry(kTagUserComment, kTypeUndefined,
                                    static_cast<uint32_t>(comment.size()), comment_offset, big));
  const uint32_t exif_ifd = append_ifd(out, base, std::move(exif_entries), 0, big);
  if (pointer) {
    put_u32(out.data() + base + *pointer + 8, exif_ifd, big);
    return out;
  }
  // No Exif IFD yet: append a copy of IFD0 with a pointer to it and repoint the header.
  std::vector<Entry> entries;
  for (size_t e : *ifd0_entries) entries.push_back(tiff.entry(e));
  entries.push_back(make_entry(kTagExifIfd, kTypeLong, 1, exif_ifd, big));
  const uint32_t next = *tiff.u32(ifd0 + 2 + ifd0_entries->size() * 12);
  const uint32_t new_ifd0 = append_ifd(out, base, std::move(entries), next, big);
  put_u32(out.data() + base + 4, new_ifd0, big);
  return out;
}

}  // namespace upres::image
