// attrs_from_json: fixture attribute dicts (engine_ops.py) -> OpAttrs. Test support; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "engine/op.h"

namespace upres::engine::testing {

Result<OpAttrs> attrs_from_json(OpKind kind, const nlohmann::json& attrs);

}  // namespace upres::engine::testing
