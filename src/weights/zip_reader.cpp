// ZipReader: end-of-central-directory search, zip64 records, local headers, inflate via zlib.
#include "weights/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "weights/byte_cursor.h"

namespace upres::weights {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint64_t kMaxEntries = 1u << 20;
// Deflate cannot expand more than 1032:1; a header claiming more is lying.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct Directory {
  uint64_t count = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

uint32_t load_u32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }

Result<uint64_t> find_end_record(const ByteSource& zip) {
  if (zip.size() < 22) return corrupt(zip.name() + ": too short for a zip archive");
  uint64_t lowest = zip.size() > 22 + 65535 ? zip.size() - 22 - 65535 : 0;
  for (uint64_t pos = zip.size() - 22;; --pos) {
    if (load_u32(zip.data() + pos) == kEndOfDirectory) return pos;
    if (pos == lowest) break;
  }
  return corrupt(zip.name() + ": no end-of-central-directory record");
}

Status read_zip64_directory(const ByteSource& zip, uint64_t end_pos, Directory& dir) {
  if (end_pos < 20) return corrupt(zip.name() + ": zip64 locator missing");
  ByteCursor locator(zip.bytes().subspan(end_pos - 20, 20), zip.name() + " zip64 locator");
  UPRES_ASSIGN_OR_RETURN(uint32_t sig, locator.read_le<uint32_t>("signature"));
  if (sig != kZip64Locator) return corrupt(zip.name() + ": zip64 locator missing");
  UPRES_RETURN_IF_ERROR(locator.seek(8));
  UPRES_ASSIGN_OR_RETURN(uint64_t record_pos, locator.read_le<uint64_t>("zip64 record offset"));
  UPRES_ASSIGN_OR_RETURN(auto bytes, zip.range(record_pos, 56, "zip64 end record"));
  ByteCursor record(bytes, zip.name() + " zip64 end record");
  UPRES_ASSIGN_OR_RETURN(sig, record.read_le<uint32_t>("signature"));
  if (sig != kZip64End) return corrupt(zip.name() + ": bad zip64 end record signature");
  UPRES_RETURN_IF_ERROR(record.seek(32));
  UPRES_ASSIGN_OR_RETURN(dir.count, record.read_le<uint64_t>("entry count"));
  UPRES_ASSIGN_OR_RETURN(dir.size, record.read_le<uint64_t>("directory size"));
  UPRES_ASSIGN_OR_RETURN(dir.offset, record.read_le<uint64_t>("directory offset"));
  return Status::ok();
}

Result<Directory> read_directory_location(const ByteSource& zip) {
  UPRES_ASSIGN_OR_RETURN(uint64_t end_pos, find_end_record(zip));
  ByteCursor end(zip.bytes().subspan(end_pos), zip.name() + " end record");
  UPRES_RETURN_IF_ERROR(end.seek(10));
  Directory dir;
  UPRES_ASSIGN_OR_RETURN(uint16_t count, end.read_le<uint16_t>("entry count"));
  UPRES_ASSIGN_OR_RETURN(uint32_t size, end.read_le<uint32_t>("directory size"));
  UPRES_ASSIGN_OR_RETURN(uint32_t offset, end.read_le<uint32_t>("directory offset"));
  dir = {count, size, offset};
  if (count == 0xFFFF || size == 0xFFFFFFFF || offset == 0xFFFFFFFF) {
    UPRES_RETURN_IF_ERROR(read_zip64_directory(zip, end_pos, dir));
  }
  if (dir.count > kMaxEntries) return corrupt(zip.name() + ": too many zip entries");
  UPRES_RETURN_IF_ERROR(zip.range(dir.offset, dir.size, "central directory").status());
  return dir;
}

// Replaces 0xFFFFFFFF fields from the zip64 extra field (id 1), in the order the spec fixes.
Status apply_zip64_extra(std::span<const uint8_t> extra, ZipEntry& entry, uint64_t& local_offset,
                         const std::string& context) {
  ByteCursor cursor(extra, context);
  while (cursor.remaining() >= 4) {
    UPRES_ASSIGN_OR_RETURN(uint16_t id, cursor.read_le<uint16_t>("extra id"));
    UPRES_ASSIGN_OR_RETURN(uint16_t len, cursor.read_le<uint16_t>("extra length"));
    UPRES_ASSIGN_OR_RETURN(auto body, cursor.take(len, "extra field"));
    if (id != 1) continue;
    ByteCursor z64(body, context + " zip64 extra");
    if (entry.size == 0xFFFFFFFF) { UPRES_ASSIGN_OR_RETURN(entry.size, z64.read_le<uint64_t>("size")); }
    if (entry.compressed_size == 0xFFFFFFFF) {
      UPRES_ASSIGN_OR_RETURN(entry.compressed_size, z64.read_le<uint64_t>("compressed size"));
    }
    if (local_offset == 0xFFFFFFFF) { UPRES_ASSIGN_OR_RETURN(local_offset, z64.read_le<uint64_t>("offset")); }
  }
  return Status::ok();
}

Status locate_data(const ByteSource& zip, uint64_t local_offset, ZipEntry& entry) {
  std::string what = "local header of zip entry '" + entry.name + "'";
  UPRES_ASSIGN_OR_RETURN(auto header, zip.range(local_offset, 30, what));
  if (load_u32(header.data()) != kLocalHeader) return corrupt(zip.name() + ": bad " + what);
  uint64_t name_len = header[26] | header[27] << 8;
  uint64_t extra_len = header[28] | header[29] << 8;
  entry.data_offset = local_offset + 30 + name_len + extra_len;
  if (entry.method == 8 && entry.size / kMaxDeflateRatio > entry.compressed_size + 1) {
    return corrupt(zip.name() + ": zip entry '" + entry.name + "' claims " + std::to_string(entry.size) +
                   " bytes from " + std::to_string(entry.compressed_size) + " deflated bytes");
  }
  if (entry.method == 0 && entry.size != entry.compressed_size) {
    return corrupt(zip.name() + ": stored zip entry '" + entry.name + "' has different sizes");
  }
  return zip.range(entry.data_offset, entry.compressed_size, "data of zip entry '" + entry.name + "'").status();
}

Result<ZipEntry> read_central_entry(const ByteSource& zip, ByteCursor& dir) {
  UPRES_ASSIGN_OR_RETURN(auto fixed, dir.take(46, "central directory entry"));
  if (load_u32(fixed.data()) != kCentralHeader) {
    return corrupt(zip.name() + ": bad central directory entry at offset " + std::to_string(dir.position() - 46));
  }
  ByteCursor header(fixed, dir.context());
  UPRES_RETURN_IF_ERROR(header.seek(8));
  UPRES_ASSIGN_OR_RETURN(uint16_t flags, header.read_le<uint16_t>("flags"));
  ZipEntry entry;
  UPRES_ASSIGN_OR_RETURN(entry.method, header.read_le<uint16_t>("method"));
  UPRES_RETURN_IF_ERROR(header.seek(16));
  UPRES_ASSIGN_OR_RETURN(entry.crc32, header.read_le<uint32_t>("crc"));
  UPRES_ASSIGN_OR_RETURN(uint32_t compressed, header.read_le<uint32_t>("compressed size"));
  UPRES_ASSIGN_OR_RETURN(uint32_t size, header.read_le<uint32_t>("size"));
  UPRES_ASSIGN_OR_RETURN(uint16_t name_len, header.read_le<uint16_t>("name length"));
  UPRES_ASSIGN_OR_RETURN(uint16_t extra_len, header.read_le<uint16_t>("extra length"));
  UPRES_ASSIGN_OR_RETURN(uint16_t comment_len, header.read_le<uint16_t>("comment length"));
  UPRES_RETURN_IF_ERROR(header.seek(42));
  UPRES_ASSIGN_OR_RETURN(uint32_t local32, header.read_le<uint32_t>("local header offset"));
  UPRES_ASSIGN_OR_RETURN(auto name, dir.take(name_len, "entry name"));
  UPRES_ASSIGN_OR_RETURN(auto extra, dir.take(extra_len, "entry extra field"));
  UPRES_RETURN_IF_ERROR(dir.take(comment_len, "entry comment").status());
  entry.name.assign(name.begin(), name.end());
  entry.compressed_size = compressed;
  entry.size = size;
  uint64_t local_offset = local32;
  UPRES_RETURN_IF_ERROR(apply_zip64_extra(extra, entry, local_offset, zip.name() + " '" + entry.name + "'"));
  if (flags & 1) return unsupported(zip.name() + ": zip entry '" + entry.name + "' is encrypted");
  if (entry.method != 0 && entry.method != 8) {
    return unsupported(zip.name() + ": zip entry '" + entry.name + "' uses compression method " +
                       std::to_string(entry.method) + " (only stored and deflate are read)");
  }
  UPRES_RETURN_IF_ERROR(locate_data(zip, local_offset, entry));
  return entry;
}

// Inflates into a buffer one byte larger than stated, so that longer streams are caught too.
Result<std::vector<uint8_t>> inflate_entry(std::span<const uint8_t> in, const ZipEntry& entry,
                                           const std::string& archive) {
  std::vector<uint8_t> out(static_cast<size_t>(entry.size) + 1);
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return internal_error("inflateInit2 failed");
  stream.next_in = const_cast<Bytef*>(in.data());
  stream.next_out = out.data();
  int rc = Z_OK;
  uint64_t in_left = in.size(), out_left = out.size();
  while (rc == Z_OK) {
    stream.avail_in = static_cast<uInt>(std::min<uint64_t>(in_left, std::numeric_limits<uInt>::max()));
    stream.avail_out = static_cast<uInt>(std::min<uint64_t>(out_left, std::numeric_limits<uInt>::max()));
    uInt before_in = stream.avail_in, before_out = stream.avail_out;
    rc = inflate(&stream, Z_NO_FLUSH);
    in_left -= before_in - stream.avail_in;
    out_left -= before_out - stream.avail_out;
    if (rc == Z_OK && before_in == stream.avail_in && before_out == stream.avail_out) rc = Z_BUF_ERROR;
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END || out_left != 1) {
    return corrupt(archive + ": zip entry '" + entry.name + "' does not inflate to its stated " +
                   std::to_string(entry.size) + " bytes");
  }
  out.pop_back();
  return out;
}

uint32_t crc_of(std::span<const uint8_t> bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t done = 0;
  while (done < bytes.size()) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(bytes.size() - done, 1u << 30));
    crc = crc32(crc, bytes.data() + done, chunk);
    done += chunk;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

Result<ZipReader> ZipReader::open(std::shared_ptr<const ByteSource> archive) {
  ZipReader reader;
  UPRES_ASSIGN_OR_RETURN(Directory dir, read_directory_location(*archive));
  ByteCursor cursor(archive->bytes().subspan(dir.offset, dir.size), archive->name() + " central directory");
  for (uint64_t i = 0; i < dir.count; ++i) {
    UPRES_ASSIGN_OR_RETURN(ZipEntry entry, read_central_entry(*archive, cursor));
    reader.entries_.push_back(std::move(entry));
  }
  reader.archive_ = std::move(archive);
  return reader;
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<ByteRange> ZipReader::read(const ZipEntry& entry) const {
  UPRES_ASSIGN_OR_RETURN(auto data, archive_->range(entry.data_offset, entry.compressed_size,
                                                    "data of zip entry '" + entry.name + "'"));
  ByteRange out{archive_, entry.data_offset, entry.size};
  if (entry.method == 8) {
    UPRES_ASSIGN_OR_RETURN(auto inflated, inflate_entry(data, entry, archive_->name()));
    out.source = ByteSource::from_bytes(std::move(inflated), archive_->name() + ":" + entry.name);
    out.offset = 0;
  }
  auto bytes = out.source->bytes().subspan(static_cast<size_t>(out.offset), static_cast<size_t>(out.length));
  if (crc_of(bytes) != entry.crc32) {
    return corrupt(archive_->name() + ": CRC-32 mismatch in zip entry '" + entry.name + "'");
  }
  return out;
}

}  // namespace upres::weights
