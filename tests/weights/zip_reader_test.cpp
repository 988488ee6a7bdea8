// ZipReader on hand-built archives: classic and zip64 records, CRC checks, unsupported methods.
// (Deflated torch archives written by Python's zipfile are covered in pth_reader_test.)
#include "weights/zip_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace upres::weights {
namespace {

struct Member {
  std::string name;
  std::string data;
  uint16_t method = 0;
  uint16_t flags = 0;
};

class ZipBuilder {
 public:
  explicit ZipBuilder(bool zip64) : zip64_(zip64) {}

  std::vector<uint8_t> build(const std::vector<Member>& members) {
    std::vector<uint8_t> central;
    for (const Member& m : members) {
      uint64_t local = out_.size();
      uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), m.data.size()));
      u32(out_, 0x04034b50), u16(out_, 45), u16(out_, m.flags), u16(out_, m.method), u32(out_, 0);
      u32(out_, crc), u32(out_, m.data.size()), u32(out_, m.data.size());
      u16(out_, m.name.size()), u16(out_, 0), str(out_, m.name), str(out_, m.data);
      u32(central, 0x02014b50), u16(central, 45), u16(central, 45), u16(central, m.flags), u16(central, m.method);
      u32(central, 0), u32(central, crc);
      u32(central, zip64_ ? 0xFFFFFFFF : m.data.size()), u32(central, zip64_ ? 0xFFFFFFFF : m.data.size());
      u16(central, m.name.size()), u16(central, zip64_ ? 28 : 0), u16(central, 0), u16(central, 0), u16(central, 0);
      u32(central, 0), u32(central, zip64_ ? 0xFFFFFFFF : local), str(central, m.name);
      if (zip64_) u16(central, 1), u16(central, 24), u64(central, m.data.size()), u64(central, m.data.size()), u64(central, local);
    }
    uint64_t cd_offset = out_.size();
    out_.insert(out_.end(), central.begin(), central.end());
    if (zip64_) {
      uint64_t record = out_.size();
      u32(out_, 0x06064b50), u64(out_, 44), u16(out_, 45), u16(out_, 45), u32(out_, 0), u32(out_, 0);
      u64(out_, members.size()), u64(out_, members.size()), u64(out_, central.size()), u64(out_, cd_offset);
      u32(out_, 0x07064b50), u32(out_, 0), u64(out_, record), u32(out_, 1);
    }
    u32(out_, 0x06054b50), u16(out_, 0), u16(out_, 0);
    u16(out_, zip64_ ? 0xFFFF : members.size()), u16(out_, zip64_ ? 0xFFFF : members.size());
    u32(out_, zip64_ ? 0xFFFFFFFF : central.size()), u32(out_, zip64_ ? 0xFFFFFFFF : cd_offset), u16(out_, 0);
    return out_;
  }

 private:
  static void u16(std::vector<uint8_t>& v, uint64_t x) { for (int i = 0; i < 2; ++i) v.push_back(x >> (8 * i)); }
  static void u32(std::vector<uint8_t>& v, uint64_t x) { for (int i = 0; i < 4; ++i) v.push_back(x >> (8 * i)); }
  static void u64(std::vector<uint8_t>& v, uint64_t x) { for (int i = 0; i < 8; ++i) v.push_back(x >> (8 * i)); }
  static void str(std::vector<uint8_t>& v, const std::string& s) { v.insert(v.end(), s.begin(), s.end()); }

  bool zip64_;
  std::vector<uint8_t> out_;
};

std::string entry_text(const ZipReader& zip, const std::string& name) {
  const ZipEntry* entry = zip.find(name);
  if (entry == nullptr) return "<missing>";
  auto range = zip.read(*entry);
  if (!range.is_ok()) return range.status().to_string();
  auto bytes = range->source->bytes().subspan(range->offset, range->length);
  return std::string(bytes.begin(), bytes.end());
}

TEST(ZipReader, ReadsClassicAndZip64Archives) {
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "zip64" : "classic");
    auto bytes = ZipBuilder(zip64).build({{"top/data.pkl", "hello"}, {"top/data/0", std::string(100, 'x')}});
    auto zip = ZipReader::open(ByteSource::from_bytes(bytes, "t.zip"));
    ASSERT_TRUE(zip.is_ok()) << zip.status().to_string();
    ASSERT_EQ(zip->entries().size(), 2u);
    EXPECT_EQ(entry_text(*zip, "top/data.pkl"), "hello");
    EXPECT_EQ(entry_text(*zip, "top/data/0"), std::string(100, 'x'));
  }
}

TEST(ZipReader, DetectsCorruptionAndUnsupportedEntries) {
  auto bytes = ZipBuilder(false).build({{"a", "payload"}});
  bytes[30 + 1 + 2] ^= 1;  // one data byte
  auto zip = ZipReader::open(ByteSource::from_bytes(bytes, "t.zip"));
  ASSERT_TRUE(zip.is_ok());
  EXPECT_NE(entry_text(*zip, "a").find("CRC-32 mismatch in zip entry 'a'"), std::string::npos);

  auto encrypted = ZipBuilder(false).build({{"a", "x", 0, 1}});
  EXPECT_EQ(ZipReader::open(ByteSource::from_bytes(encrypted, "t.zip")).status().code(), StatusCode::kUnsupported);
  auto bzip2 = ZipBuilder(true).build({{"a", "x", 12}});
  auto refused = ZipReader::open(ByteSource::from_bytes(bzip2, "t.zip"));
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(refused.status().message().find("method 12"), std::string::npos);

  auto good = ZipBuilder(true).build({{"a", "payload"}});
  for (size_t len = 0; len < good.size(); ++len) {
    auto cut = ZipReader::open(ByteSource::from_bytes({good.begin(), good.begin() + len}, "cut.zip"));
    EXPECT_FALSE(cut.is_ok()) << "accepted a cut to " << len << " bytes";
  }
}

}  // namespace
}  // namespace upres::weights
