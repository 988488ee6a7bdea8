// NcnnReader: walks the .bin with each layer's read sequence, decoding storage tags per blob.
#include "weights/ncnn_reader.h"

#include <cstring>

#include "weights/ncnn_layer_blobs.h"

namespace upres::weights {
namespace {

constexpr uint32_t kTagF16 = 0x01306B47;
constexpr uint32_t kTagInt8 = 0x000D4B38;
constexpr uint32_t kTagF32Scaled = 0x0002C056;

uint64_t align4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

// Decodes the tag at `offset`, filling storage, dtype and data length; returns bytes consumed.
Result<uint64_t> read_tag(const ByteSource& bin, uint64_t offset, WeightEntry& entry) {
  UPRES_ASSIGN_OR_RETURN(auto tag_bytes, bin.range(offset, 4, "storage tag of '" + entry.name + "'"));
  uint32_t tag;
  std::memcpy(&tag, tag_bytes.data(), 4);
  uint64_t count = static_cast<uint64_t>(entry.numel());
  entry.offset = offset + 4;
  if (tag == kTagF16) {
    entry.ncnn_storage = NcnnStorage::kF16;
    entry.dtype = DType::kF16;
    entry.length = 2 * count;
    return 4 + align4(2 * count);
  }
  if (tag == kTagInt8) {
    entry.ncnn_storage = NcnnStorage::kInt8;
    entry.dtype = DType::kI8;
    entry.length = count;
    return 4 + align4(count);
  }
  entry.dtype = DType::kF32;
  if (tag == kTagF32Scaled || tag == 0) {
    entry.ncnn_storage = tag == 0 ? NcnnStorage::kF32 : NcnnStorage::kF32Scaled;
    entry.length = 4 * count;
    return 4 + 4 * count;
  }
  entry.ncnn_storage = NcnnStorage::kCodebook;
  entry.dtype = DType::kU8;
  entry.length = 1024 + count;
  return 4 + 1024 + align4(count);
}

Status walk_layer(const NcnnLayer& layer, const ByteSource& bin, uint64_t& offset, WeightMap& map) {
  UPRES_ASSIGN_OR_RETURN(auto reads, ncnn_layer_blobs(layer));
  for (NcnnBlobRead& read : reads) {
    if (read.count > (int64_t{1} << 40)) return corrupt("layer '" + layer.name + "': blob size too large");
    WeightEntry entry;
    entry.name = layer.name + "." + read.suffix;
    entry.shape = std::move(read.shape);
    uint64_t consumed = 4 * static_cast<uint64_t>(read.count);
    if (read.tagged) {
      UPRES_ASSIGN_OR_RETURN(consumed, read_tag(bin, offset, entry));
    } else {
      entry.ncnn_storage = NcnnStorage::kRawF32;
      entry.offset = offset;
      entry.length = consumed;
    }
    if (consumed > bin.size() - offset) {
      return corrupt(bin.name() + ": '" + entry.name + "' at offset " + std::to_string(offset) + " needs " +
                     std::to_string(consumed) + " bytes, only " + std::to_string(bin.size() - offset) + " remain");
    }
    offset += consumed;
    UPRES_RETURN_IF_ERROR(map.add_entry(std::move(entry)));
  }
  return Status::ok();
}

}  // namespace

Result<NcnnModel> read_ncnn(const ByteSource& param, std::shared_ptr<const ByteSource> bin) {
  std::string_view text(reinterpret_cast<const char*>(param.data()), param.size());
  NcnnModel model;
  UPRES_ASSIGN_OR_RETURN(model.graph, parse_ncnn_param(text, param.name()));
  model.weights.set_format("ncnn");
  model.weights.add_source(bin);
  uint64_t offset = 0;
  for (const NcnnLayer& layer : model.graph.layers) {
    Status status = walk_layer(layer, *bin, offset, model.weights);
    if (!status.is_ok()) return status.with_context(param.name());
  }
  if (offset != bin->size()) {
    return corrupt(bin->name() + ": the .param accounts for " + std::to_string(offset) + " bytes but the file has " +
                   std::to_string(bin->size()));
  }
  return model;
}

Result<NcnnModel> read_ncnn_files(const std::filesystem::path& param_path) {
  std::filesystem::path bin_path = param_path;
  bin_path.replace_extension(".bin");
  UPRES_ASSIGN_OR_RETURN(auto param, ByteSource::map_file(param_path));
  UPRES_ASSIGN_OR_RETURN(auto bin, ByteSource::map_file(bin_path));
  return read_ncnn(*param, std::move(bin));
}

}  // namespace upres::weights
