// State-dict canonicalisation as spandrel does it: unwrap training-checkpoint wrapper keys,
// flatten nested containers to dotted tensor names, strip a common `module.` / `netG.` prefix.
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "weights/pickle_value.h"
#include "weights/weight_map.h"

namespace upres::weights {

struct UnwrappedStateDict {
  const PickleValue* root = nullptr;
  std::string wrapper;  // "params_ema", "state_dict.generator", ... or empty
};

// First of model_state_dict, state_dict, params_ema, params-ema, params, model, net whose value is
// a dict; then, if one entry remains and it is a dict, that entry. `params_ema` wins over `params`.
UnwrappedStateDict unwrap_state_dict(const PickleValue& root);

// Every tensor under `root` (dicts by key, lists/tuples by index) as (dotted name, tensor value).
// Corrupt when nesting exceeds 32 levels or the walk meets more than 4M nodes (shared subtrees).
Result<std::vector<std::pair<std::string, const PickleValue*>>> flatten_tensors(const PickleValue& root);

// Removes `module.` and then `netG.` when every entry name starts with it. Returns what it removed.
std::string strip_common_prefix(WeightMap& map);

}  // namespace upres::weights
