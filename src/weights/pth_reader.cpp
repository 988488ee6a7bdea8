// PthReader: finds data.pkl and the storages of a torch checkpoint, then turns each tensor view
// into a WeightEntry after checking it against its storage.
#include "weights/pth_reader.h"

#include <array>
#include <charconv>
#include <map>

#include "weights/pickle_reader.h"
#include "weights/state_dict.h"
#include "weights/zip_reader.h"

namespace upres::weights {
namespace {

using Kind = PickleValue::Kind;
using StorageRanges = std::map<std::string, ByteRange>;

// 0x1950A86A20F9469CFC6C as LONG1 bytes (little-endian).
constexpr std::array<uint8_t, 10> kLegacyMagic{0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19};

bool is_contiguous(const TorchTensor& t) {
  int64_t expected = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] != 1 && t.stride[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

uint32_t source_index(WeightMap& map, const std::shared_ptr<const ByteSource>& source) {
  for (uint32_t i = 0; i < map.sources().size(); ++i) {
    if (map.sources()[i] == source) return i;
  }
  return map.add_source(source);
}

Result<WeightEntry> tensor_entry(const std::string& name, const TorchTensor& t, const StorageRanges& ranges) {
  const TorchStorage& storage = t.storage->storage;
  std::string what = "tensor '" + name + "'";
  WeightEntry entry{name, storage.dtype, t.shape};
  uint64_t item = dtype_size(storage.dtype);
  UPRES_ASSIGN_OR_RETURN(int64_t numel, checked_numel(t.shape, item, what));
  if (numel > 0 && !is_contiguous(t)) {
    return unsupported(what + " is a non-contiguous view (strides do not match a row-major layout)");
  }
  if (t.storage_offset < 0 || t.storage_offset > storage.numel || numel > storage.numel - t.storage_offset) {
    return corrupt(what + " (offset " + std::to_string(t.storage_offset) + ", " + std::to_string(numel) +
                   " elements) lies outside storage '" + storage.key + "' of " + std::to_string(storage.numel) +
                   " elements");
  }
  auto it = ranges.find(storage.key);
  if (it == ranges.end()) return corrupt(what + ": no data for storage '" + storage.key + "'");
  entry.offset = it->second.offset + static_cast<uint64_t>(t.storage_offset) * item;
  entry.length = static_cast<uint64_t>(numel) * item;
  return entry;
}

// Top-level plain values of a checkpoint ("iter", "best_psnr", ...) become metadata text.
void keep_scalar_metadata(const PickleValue& root, WeightMap& map) {
  if (!root.is(Kind::kDict)) return;
  for (const auto& [key, value] : root.pairs) {
    if (!key->is(Kind::kString)) continue;
    if (value->is(Kind::kString)) map.set_metadata(key->text, value->text);
    if (value->is(Kind::kInt)) map.set_metadata(key->text, std::to_string(value->integer));
    if (value->is(Kind::kBool)) map.set_metadata(key->text, value->boolean ? "true" : "false");
    if (value->is(Kind::kFloat)) {
      char text[32];
      auto end = std::to_chars(text, text + sizeof text, value->real).ptr;
      map.set_metadata(key->text, std::string(text, end));
    }
  }
}

// Unwraps the pickled object, flattens it and adds one entry per tensor.
Result<WeightMap> index_tensors(const PickleValue& root, const StorageRanges& ranges, WeightMap map) {
  keep_scalar_metadata(root, map);
  UnwrappedStateDict unwrapped = unwrap_state_dict(root);
  if (!unwrapped.wrapper.empty()) map.set_metadata("wrapper", unwrapped.wrapper);
  UPRES_ASSIGN_OR_RETURN(auto tensors, flatten_tensors(*unwrapped.root));
  for (const auto& [name, value] : tensors) {
    UPRES_ASSIGN_OR_RETURN(WeightEntry entry, tensor_entry(name, value->tensor, ranges));
    entry.source = source_index(map, ranges.at(value->tensor.storage->storage.key).source);
    UPRES_RETURN_IF_ERROR(map.add_entry(std::move(entry)));
  }
  std::string prefix = strip_common_prefix(map);
  if (!prefix.empty()) map.set_metadata("stripped_prefix", prefix);
  return map;
}

Status check_storage_size(const TorchStorage& storage, uint64_t available, const std::string& file) {
  uint64_t item = dtype_size(storage.dtype);
  if (static_cast<uint64_t>(storage.numel) > available / item) {
    return corrupt(file + ": storage '" + storage.key + "' needs " + std::to_string(storage.numel) + " x " +
                   std::to_string(item) + " bytes, the file holds " + std::to_string(available));
  }
  return Status::ok();
}

Result<std::string> find_archive_prefix(const ZipReader& zip, const std::string& file) {
  for (const ZipEntry& entry : zip.entries()) {
    if (entry.name == "data.pkl") return std::string();
    if (entry.name.ends_with("/data.pkl") && entry.name.find('/') == entry.name.size() - 9) {
      return entry.name.substr(0, entry.name.size() - 8);
    }
  }
  for (const ZipEntry& entry : zip.entries()) {
    if (entry.name.ends_with("constants.pkl")) {
      return unsupported(file + ": a TorchScript archive (constants.pkl); save a state dict instead");
    }
  }
  return corrupt(file + ": zip archive without a data.pkl record");
}

Result<std::string> read_small_record(const ZipReader& zip, const std::string& name) {
  const ZipEntry* entry = zip.find(name);
  if (entry == nullptr || entry->size > 256) return std::string();
  UPRES_ASSIGN_OR_RETURN(ByteRange range, zip.read(*entry));
  auto bytes = range.source->bytes().subspan(range.offset, range.length);
  std::string text(bytes.begin(), bytes.end());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

bool looks_like_legacy_pth(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 + kLegacyMagic.size() && bytes[0] == 0x80 && bytes[1] == 0x02 && bytes[2] == 0x8a && bytes[3] == 10 &&
         std::equal(kLegacyMagic.begin(), kLegacyMagic.end(), bytes.begin() + 4);
}

Result<WeightMap> read_pth_zip(std::shared_ptr<const ByteSource> file) {
  const std::string& name = file->name();
  UPRES_ASSIGN_OR_RETURN(ZipReader zip, ZipReader::open(file));
  UPRES_ASSIGN_OR_RETURN(std::string prefix, find_archive_prefix(zip, name));
  WeightMap map;
  map.set_format("torch-zip");
  map.set_metadata("archive_prefix", prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1));
  UPRES_ASSIGN_OR_RETURN(std::string byteorder, read_small_record(zip, prefix + "byteorder"));
  if (!byteorder.empty() && byteorder != "little") return unsupported(name + ": byteorder '" + byteorder + "'");
  UPRES_ASSIGN_OR_RETURN(ByteRange pkl, zip.read(*zip.find(prefix + "data.pkl")));
  ByteCursor cursor(pkl.source->bytes().subspan(pkl.offset, pkl.length), name + ":" + prefix + "data.pkl");
  PickleReader reader;
  UPRES_ASSIGN_OR_RETURN(const PickleValue* root, reader.load(cursor));
  StorageRanges ranges;
  for (const auto& [key, storage] : reader.storages()) {
    const ZipEntry* record = zip.find(prefix + "data/" + key);
    if (record == nullptr) return corrupt(name + ": storage record '" + prefix + "data/" + key + "' is missing");
    UPRES_ASSIGN_OR_RETURN(ByteRange range, zip.read(*record));
    UPRES_RETURN_IF_ERROR(check_storage_size(storage->storage, range.length, name));
    ranges.emplace(key, range);
  }
  auto result = index_tensors(*root, ranges, std::move(map));
  if (!result.is_ok()) return result.status().with_context(name);
  return result;
}

Result<WeightMap> read_pth_legacy(std::shared_ptr<const ByteSource> file) {
  const std::string& name = file->name();
  ByteCursor cursor(file->bytes(), name);
  PickleReader reader;
  UPRES_ASSIGN_OR_RETURN(const PickleValue* magic, reader.load(cursor));
  if (!magic->is(Kind::kBigInt) || magic->text != std::string(kLegacyMagic.begin(), kLegacyMagic.end())) {
    return corrupt(name + ": not a torch legacy checkpoint (bad magic number)");
  }
  UPRES_ASSIGN_OR_RETURN(const PickleValue* protocol, reader.load(cursor));
  if (!protocol->is(Kind::kInt) || protocol->integer != 1001) return unsupported(name + ": legacy protocol is not 1001");
  UPRES_ASSIGN_OR_RETURN(const PickleValue* sys_info, reader.load(cursor));
  const PickleValue* little = sys_info->is(Kind::kDict) ? sys_info->get("little_endian") : nullptr;
  if (little != nullptr && little->is(Kind::kBool) && !little->boolean) return unsupported(name + ": big-endian checkpoint");
  UPRES_ASSIGN_OR_RETURN(const PickleValue* root, reader.load(cursor));
  UPRES_ASSIGN_OR_RETURN(const PickleValue* keys, reader.load(cursor));
  if (!keys->is(Kind::kList)) return corrupt(name + ": legacy storage key list is not a list");
  StorageRanges ranges;
  for (const PickleValue* key : keys->items) {
    std::string text = key->is(Kind::kInt) ? std::to_string(key->integer) : key->text;
    auto it = reader.storages().find(text);
    if (it == reader.storages().end() || ranges.count(text) != 0) {
      return corrupt(name + ": legacy storage key '" + text + "' is unknown or repeated");
    }
    UPRES_ASSIGN_OR_RETURN(int64_t count, cursor.read_le<int64_t>("storage element count"));
    const TorchStorage& storage = it->second->storage;
    if (count != storage.numel) return corrupt(name + ": storage '" + text + "' element count disagrees with its id");
    UPRES_RETURN_IF_ERROR(check_storage_size(storage, cursor.remaining(), name));
    uint64_t bytes = static_cast<uint64_t>(count) * dtype_size(storage.dtype);
    ranges.emplace(text, ByteRange{file, cursor.position(), bytes});
    UPRES_RETURN_IF_ERROR(cursor.take(bytes, "storage data").status());
  }
  WeightMap map;
  map.set_format("torch-legacy");
  map.add_source(file);
  auto result = index_tensors(*root, ranges, std::move(map));
  if (!result.is_ok()) return result.status().with_context(name);
  return result;
}

Result<WeightMap> read_pth(std::shared_ptr<const ByteSource> file) {
  auto bytes = file->bytes();
  if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K') return read_pth_zip(std::move(file));
  if (looks_like_legacy_pth(bytes)) return read_pth_legacy(std::move(file));
  return corrupt(file->name() + ": neither a torch zip checkpoint nor a legacy one");
}

}  // namespace upres::weights
