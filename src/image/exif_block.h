// ExifBlock edits: the few changes upres makes to a raw EXIF block (a TIFF structure, with or
// without the "Exif\0\0" prefix): Orientation reset, pixel dimensions, UserComment read and write. Every offset is
// checked against the block. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace upres::image {

// The TIFF structure ("II*\0" or "MM\0*" and the IFD0 offset) inside an EXIF block, without the
// "Exif\0\0" prefix when it has one (what a PNG eXIf chunk holds); empty when it is not one.
std::span<const uint8_t> exif_tiff_structure(std::span<const uint8_t> exif);

// Sets the IFD0 Orientation tag to 1 (top-left) in place. Returns false when the block is
// malformed or has no Orientation tag (the block is then left unchanged).
bool reset_exif_orientation(std::vector<uint8_t>& exif);

// The Orientation tag of IFD0 (1..8), or nullopt when absent or malformed.
std::optional<int> exif_orientation(std::span<const uint8_t> exif);

// Sets the Exif IFD's PixelXDimension and PixelYDimension, where the block has them, to the
// picture's new size in place (a SHORT that cannot hold it becomes a LONG), so an upscaled
// photo's EXIF does not describe the camera's size. Returns false when the block is malformed
// or has neither tag (the block is then left unchanged).
bool set_exif_pixel_dimensions(std::vector<uint8_t>& exif, uint32_t width, uint32_t height);

// The Exif IFD's PixelXDimension and PixelYDimension (SHORT or LONG), or nullopt when either is
// absent or malformed.
std::optional<std::pair<uint32_t, uint32_t>> exif_pixel_dimensions(std::span<const uint8_t> exif);

// The Exif IFD UserComment as UTF-8: "ASCII\0\0\0" and undefined prefixes are read as text,
// "UNICODE\0" as UTF-16 (byte-order mark if any, else the block's byte order, as the reference
// UI's piexif writes it). Trailing NULs are dropped. nullopt when absent or malformed.
std::optional<std::string> read_exif_user_comment(std::span<const uint8_t> exif);

// `exif` with its UserComment set to "UNICODE\0" + UTF-16 of `text` in the block's byte order.
// An empty `exif` gives a new big-endian block ("Exif\0\0MM...") as piexif.dump makes.
// Existing data is kept: the changed IFDs are appended and the pointers to them patched.
// Corrupt when `exif` is not a readable TIFF structure.
Result<std::vector<uint8_t>> set_exif_user_comment(std::span<const uint8_t> exif,
                                                   std::string_view text);

}  // namespace upres::image
