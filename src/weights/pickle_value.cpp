// PickleValue lookups.
#include "weights/pickle_value.h"

namespace upres::weights {

const PickleValue* PickleValue::get(std::string_view key) const {
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    if (it->first->is(Kind::kString) && it->first->text == key) return it->second;
  }
  return nullptr;
}

}  // namespace upres::weights
