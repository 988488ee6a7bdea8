// The pickle allow-list: which globals a torch checkpoint may name, and what REDUCE, BUILD and
// persistent ids mean for them. Nothing is ever imported or executed: allowed globals become
// inert PickleValues. Stateless functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "weights/pickle_value.h"

namespace upres::weights {

// kGlobal value for an allowed `module.name`; Unsupported naming the global otherwise.
Result<PickleValue*> resolve_global(std::string_view module, std::string_view name, PickleArena& arena);

// REDUCE: `callable(*args)` for the allowed callables (OrderedDict, tensor/parameter rebuilds,
// _rebuild_from_type_v2, _codecs.encode, numpy scalar stand-ins). Unsupported otherwise.
Result<PickleValue*> apply_reduce(const PickleValue& callable, const PickleValue& args, PickleArena& arena);

// BUILD: state attached to an object; dropped for dicts and tensors (torch's `_metadata`).
Status apply_build(PickleValue& target, const PickleValue& state);

// BINPERSID: ('storage', StorageType, key, location, numel[, view]) -> the kStorage for `key`,
// shared between all references to that key through `storages`.
Result<PickleValue*> load_persistent_id(const PickleValue& pid, PickleArena& arena,
                                        std::map<std::string, PickleValue*>& storages);

}  // namespace upres::weights
