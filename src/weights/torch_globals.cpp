// Allow-list of pickle globals for torch checkpoints and their inert meaning.
#include "weights/torch_globals.h"

#include <array>
#include <optional>

namespace upres::weights {
namespace {

using Kind = PickleValue::Kind;

struct StorageClass {
  std::string_view name;
  DType dtype;
};

constexpr std::array<StorageClass, 11> kStorageClasses{{
    {"FloatStorage", DType::kF32}, {"HalfStorage", DType::kF16}, {"BFloat16Storage", DType::kBF16},
    {"DoubleStorage", DType::kF64}, {"LongStorage", DType::kI64}, {"IntStorage", DType::kI32},
    {"ShortStorage", DType::kI16}, {"CharStorage", DType::kI8}, {"ByteStorage", DType::kU8},
    {"BoolStorage", DType::kBool}, {"UntypedStorage", DType::kU8},
}};

constexpr std::array<std::string_view, 13> kAllowedCallables{
    "collections.OrderedDict", "typing.OrderedDict",
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch.Tensor", "torch.nn.parameter.Parameter",
    "_codecs.encode",
    // numpy scalars appear in training metadata (e.g. best_psnr); they become inert stand-ins.
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
};

std::optional<DType> storage_dtype(std::string_view global) {
  if (!global.starts_with("torch.")) return std::nullopt;
  for (const StorageClass& c : kStorageClasses) {
    if (global.substr(6) == c.name) return c.dtype;
  }
  return std::nullopt;
}

Result<int64_t> as_int(const PickleValue* v, std::string_view what) {
  if (v == nullptr || !v->is(Kind::kInt)) return corrupt(std::string(what) + " is not an integer");
  return v->integer;
}

Result<std::vector<int64_t>> as_int_tuple(const PickleValue* v, std::string_view what) {
  if (v == nullptr || (!v->is(Kind::kTuple) && !v->is(Kind::kList))) {
    return corrupt(std::string(what) + " is not a tuple");
  }
  std::vector<int64_t> out;
  for (const PickleValue* item : v->items) {
    UPRES_ASSIGN_OR_RETURN(int64_t n, as_int(item, what));
    out.push_back(n);
  }
  return out;
}

Result<PickleValue*> rebuild_tensor(const PickleValue& args, PickleArena& arena) {
  if (args.items.size() < 4) return corrupt("_rebuild_tensor: fewer than 4 arguments");
  const PickleValue* storage = args.items[0];
  if (!storage->is(Kind::kStorage)) return corrupt("_rebuild_tensor: first argument is not a storage");
  PickleValue* out = arena.make(Kind::kTensor);
  out->tensor.storage = storage;
  UPRES_ASSIGN_OR_RETURN(out->tensor.storage_offset, as_int(args.items[1], "tensor storage offset"));
  UPRES_ASSIGN_OR_RETURN(out->tensor.shape, as_int_tuple(args.items[2], "tensor size"));
  UPRES_ASSIGN_OR_RETURN(out->tensor.stride, as_int_tuple(args.items[3], "tensor stride"));
  if (out->tensor.shape.size() != out->tensor.stride.size()) return corrupt("tensor size and stride ranks differ");
  return out;
}

Result<PickleValue*> reduce_by_name(std::string_view name, const PickleValue& args, PickleArena& arena) {
  if (name == "collections.OrderedDict" || name == "typing.OrderedDict") {
    if (!args.items.empty()) return unsupported("OrderedDict built from arguments");
    return arena.make(Kind::kDict);
  }
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    return rebuild_tensor(args, arena);
  }
  if (name.starts_with("torch._utils._rebuild_parameter")) {
    if (args.items.empty() || !args.items[0]->is(Kind::kTensor)) return corrupt("_rebuild_parameter without a tensor");
    return const_cast<PickleValue*>(args.items[0]);
  }
  if (name == "torch._tensor._rebuild_from_type_v2") {
    if (args.items.size() < 3 || !args.items[0]->is(Kind::kGlobal) || !args.items[2]->is(Kind::kTuple)) {
      return corrupt("_rebuild_from_type_v2: bad arguments");
    }
    if (args.items[0]->text == name) return corrupt("_rebuild_from_type_v2 nested in itself");
    return apply_reduce(*args.items[0], *args.items[2], arena);
  }
  if (name == "_codecs.encode") {
    if (args.items.empty() || !args.items[0]->is(Kind::kString)) return corrupt("_codecs.encode without a string");
    PickleValue* out = arena.make(Kind::kBytes);
    out->text = args.items[0]->text;  // torch writes bytes as latin-1 text; kept as UTF-8 here
    return out;
  }
  PickleValue* out = arena.make(Kind::kOpaque);
  out->text = std::string(name);
  out->items = args.items;
  return out;
}

}  // namespace

Result<PickleValue*> resolve_global(std::string_view module, std::string_view name, PickleArena& arena) {
  std::string full = std::string(module) + "." + std::string(name);
  bool allowed = storage_dtype(full).has_value();
  for (std::string_view callable : kAllowedCallables) allowed = allowed || full == callable;
  if (!allowed) return unsupported("pickle refers to global '" + full + "', which is not on the allow-list");
  PickleValue* out = arena.make(Kind::kGlobal);
  out->text = std::move(full);
  return out;
}

Result<PickleValue*> apply_reduce(const PickleValue& callable, const PickleValue& args, PickleArena& arena) {
  if (!callable.is(Kind::kGlobal)) return unsupported("pickle REDUCE on something other than an allowed global");
  if (!args.is(Kind::kTuple)) return corrupt("pickle REDUCE arguments are not a tuple");
  if (storage_dtype(callable.text)) return unsupported("pickle constructs storage '" + callable.text + "' directly");
  auto out = reduce_by_name(callable.text, args, arena);
  if (!out.is_ok()) return out.status().with_context(callable.text);
  return out;
}

Status apply_build(PickleValue& target, const PickleValue& state) {
  if (target.is(Kind::kDict) || target.is(Kind::kTensor)) return Status::ok();
  if (target.is(Kind::kOpaque)) {
    target.items.push_back(&state);
    return Status::ok();
  }
  return unsupported("pickle BUILD on a value that takes no state");
}

Result<PickleValue*> load_persistent_id(const PickleValue& pid, PickleArena& arena,
                                        std::map<std::string, PickleValue*>& storages) {
  const auto& f = pid.items;
  if (!pid.is(Kind::kTuple) || f.size() < 5 || !f[0]->is(Kind::kString) || f[0]->text != "storage") {
    return unsupported("pickle persistent id is not a ('storage', ...) tuple");
  }
  if (!f[1]->is(Kind::kGlobal) || !storage_dtype(f[1]->text)) {
    return corrupt("persistent id names no torch storage type");
  }
  if (!f[2]->is(Kind::kString) && !f[2]->is(Kind::kInt)) return corrupt("storage key is not a string");
  std::string key = f[2]->is(Kind::kString) ? f[2]->text : std::to_string(f[2]->integer);
  if (f.size() > 5 && !f[5]->is(Kind::kNone)) return unsupported("legacy storage views (storage '" + key + "')");
  UPRES_ASSIGN_OR_RETURN(int64_t numel, as_int(f[4], "storage '" + key + "' size"));
  if (numel < 0) return corrupt("storage '" + key + "' has a negative size");
  DType dtype = *storage_dtype(f[1]->text);
  auto it = storages.find(key);
  if (it != storages.end()) {
    if (it->second->storage.dtype != dtype || it->second->storage.numel != numel) {
      return corrupt("storage '" + key + "' is declared twice with different types or sizes");
    }
    return it->second;
  }
  PickleValue* out = arena.make(Kind::kStorage);
  out->storage = {dtype, key, f[3]->is(Kind::kString) ? f[3]->text : "", numel};
  storages.emplace(key, out);
  return out;
}

}  // namespace upres::weights
