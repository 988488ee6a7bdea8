// Parallel filtering and deflation of a PNG's rows into one zlib stream: bands deflated on their
// own as raw deflate, each primed with the filtered bytes before it, joined by the Adler-32s
// combined. Thread-safe.
#include "image/png_image_stream.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>

#include "base/parallel_for.h"
#include "image/png_chunk.h"
#include "image/png_row_filter.h"

namespace upres::image {
namespace {

// libpng's strategy for filtered rows: short matches in filtered bytes are worth less than their
// literals (Set5's baby 2.4% smaller than with Z_DEFAULT_STRATEGY, Set14's comic 0.5% larger;
// both within 0.2% of libpng's size).
constexpr int kStrategy = Z_FILTERED;
constexpr size_t kWindowBytes = 32 * 1024;          // deflate's window: the most a dictionary can serve
constexpr size_t kMaxDeflateInput = size_t{1} << 30;  // zlib counts input in 32-bit uInt

// One band's share of the stream.
struct DeflatedBand {
  std::vector<uint8_t> bytes;  // raw deflate, ending byte-aligned (or final for the last band)
  uLong adler = 0;             // Adler-32 of the band's filtered rows
  size_t filtered_bytes = 0;
  Status status;
};

// RFC 1950's two header bytes as zlib writes them: deflate with a 32 KiB window, then the
// level class (a hint to readers only) and the check bits.
std::vector<uint8_t> zlib_header(int level) {
  const int level_class = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
  const unsigned cmf = 0x78;
  unsigned flg = static_cast<unsigned>(level_class) << 6;
  flg += 31 - (cmf * 256 + flg) % 31;
  return {static_cast<uint8_t>(cmf), static_cast<uint8_t>(flg)};
}

Status zlib_error(const char* call, int rc, const z_stream& zs) {
  std::string message = std::string("PNG encoder: zlib ") + call + " failed (" + std::to_string(rc) + ")";
  if (zs.msg != nullptr) message += std::string(": ") + zs.msg;
  if (rc == Z_MEM_ERROR) return resource_exhausted(message);
  return internal_error(message);
}

// Filters rows [from, to) of `rows` into `out` ((to - from) * (row_bytes + 1) bytes).
void filter_rows(const PngScanlines& rows, int from, int to, uint8_t* out) {
  const size_t row_bytes = rows.row_bytes();
  PngRowFilter filter(row_bytes, rows.bytes_per_pixel());
  // Two swap rows so the previous row stays readable while the current one is swapped.
  std::vector<uint8_t> swap(2 * row_bytes);
  const uint8_t* previous = from > 0 ? rows.row(from - 1, swap.data()) : nullptr;
  for (int y = from; y < to; ++y) {
    const uint8_t* row = rows.row(y, swap.data() + ((y - from + 1) & 1) * row_bytes);
    filter.filter(previous, row, out);
    out += row_bytes + 1;
    previous = row;
  }
}

// Deflates `input` into `band.bytes`, primed with `dictionary`; the last band finishes the
// deflate stream, the others end with a sync flush so the next band starts on a byte boundary.
Status deflate_band(const uint8_t* dictionary, size_t dictionary_bytes, const uint8_t* input,
                    size_t input_bytes, bool is_last, int level, DeflatedBand& band) {
  z_stream zs{};
  // Raw deflate (negative window bits): the zlib header and trailer are written once, around all bands.
  int rc = deflateInit2(&zs, level, Z_DEFLATED, -15, 8, kStrategy);
  if (rc != Z_OK) return zlib_error("deflateInit2", rc, zs);
  std::unique_ptr<z_stream, int (*)(z_stream*)> end_stream(&zs, deflateEnd);
  if (dictionary_bytes > 0) {
    rc = deflateSetDictionary(&zs, dictionary, static_cast<uInt>(dictionary_bytes));
    if (rc != Z_OK) return zlib_error("deflateSetDictionary", rc, zs);
  }
  // Room for the whole band in one go when it compresses at all; it grows when it does not.
  std::vector<uint8_t>& out = band.bytes;
  out.resize(deflateBound(&zs, input_bytes) + 64);
  size_t produced = 0;
  size_t consumed = 0;
  do {
    const size_t chunk = std::min(input_bytes - consumed, kMaxDeflateInput);
    const bool is_final_input = consumed + chunk == input_bytes;
    const int flush = !is_final_input ? Z_NO_FLUSH : (is_last ? Z_FINISH : Z_SYNC_FLUSH);
    zs.next_in = const_cast<Bytef*>(input + consumed);
    zs.avail_in = static_cast<uInt>(chunk);
    do {
      if (produced == out.size()) out.resize(out.size() * 2);
      const size_t room = std::min(out.size() - produced, size_t{UINT_MAX});
      zs.next_out = out.data() + produced;
      zs.avail_out = static_cast<uInt>(room);
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) return zlib_error("deflate", rc, zs);
      produced += room - zs.avail_out;
    } while (zs.avail_out == 0);
    consumed += chunk;
  } while (consumed < input_bytes);
  if (is_last && rc != Z_STREAM_END) return zlib_error("deflate", rc, zs);
  out.resize(produced);
  out.shrink_to_fit();
  return Status::ok();
}

// Filters and deflates rows [first, end): the band's rows, plus, as the dictionary, the last
// filtered bytes (up to 32 KiB) of the rows above, filtered again here so that bands need not
// wait for each other.
Status encode_band(const PngScanlines& rows, int first, int end, int level, DeflatedBand& band) {
  const size_t stride = rows.row_bytes() + 1;
  const int dictionary_rows = static_cast<int>(std::min<size_t>(first, (kWindowBytes + stride - 1) / stride));
  const int from = first - dictionary_rows;
  const size_t dictionary_area = dictionary_rows * stride;
  const size_t band_bytes = static_cast<size_t>(end - first) * stride;
  std::unique_ptr<uint8_t[]> filtered(new (std::nothrow) uint8_t[dictionary_area + band_bytes]);
  if (filtered == nullptr)
    return resource_exhausted("PNG encoder: no memory for a band of " + std::to_string(band_bytes) + " bytes");
  filter_rows(rows, from, end, filtered.get());
  const size_t dictionary_bytes = std::min(dictionary_area, kWindowBytes);
  const uint8_t* band_start = filtered.get() + dictionary_area;
  band.filtered_bytes = band_bytes;
  band.adler = adler32_z(adler32_z(0, nullptr, 0), band_start, band_bytes);
  return deflate_band(band_start - dictionary_bytes, dictionary_bytes, band_start, band_bytes,
                      end == rows.height(), level, band);
}

}  // namespace

size_t PngImageStream::size_bytes() const {
  size_t total = 0;
  for (const auto& piece : pieces) total += piece.size();
  return total;
}

Result<PngImageStream> deflate_png_image_stream(const PngScanlines& rows, const PngEncodeOptions& options) {
  const int level = options.compression_level;
  if (level < 0 || level > 9)
    return invalid_argument("PNG encoder: compression level " + std::to_string(level) + " is outside 0..9");
  const size_t stride = rows.row_bytes() + 1;
  const int rows_per_band =
      static_cast<int>(std::clamp<size_t>(options.band_bytes / stride, 1, static_cast<size_t>(rows.height())));
  const int band_count = (rows.height() + rows_per_band - 1) / rows_per_band;
  std::vector<DeflatedBand> bands(band_count);
  parallel_for(band_count, options.threads, [&](int b) {
    const int first = b * rows_per_band;
    const int end = std::min(first + rows_per_band, rows.height());
    bands[b].status = encode_band(rows, first, end, level, bands[b]);
  });
  PngImageStream stream;
  stream.pieces.reserve(band_count + 2);
  stream.pieces.push_back(zlib_header(level));
  uLong adler = adler32_z(0, nullptr, 0);
  for (DeflatedBand& band : bands) {
    UPRES_RETURN_IF_ERROR(band.status);
    adler = adler32_combine(adler, band.adler, static_cast<z_off_t>(band.filtered_bytes));
    stream.pieces.push_back(std::move(band.bytes));
  }
  std::vector<uint8_t> trailer(4);
  store_png_u32(trailer.data(), static_cast<uint32_t>(adler));
  stream.pieces.push_back(std::move(trailer));
  return stream;
}

}  // namespace upres::image
