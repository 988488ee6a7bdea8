// PickleValue: the inert object tree a pickle is parsed into (plain data, allowed globals, torch
// storages and tensors); PickleArena owns every node so shared and cyclic references are safe.
// Immutable once parsing ends; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/dtype.h"

namespace upres::weights {

struct PickleValue;

// A torch storage named by a persistent id: ('storage', <StorageType>, key, location, numel).
struct TorchStorage {
  DType dtype = DType::kF32;
  std::string key;
  std::string location;
  int64_t numel = 0;
};

// A tensor from torch._utils._rebuild_tensor(_v2): a view of `storage`, offsets in elements.
struct TorchTensor {
  const PickleValue* storage = nullptr;  // kind kStorage
  int64_t storage_offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

struct PickleValue {
  enum class Kind {
    kNone, kBool, kInt, kBigInt, kFloat, kString, kBytes,
    kTuple, kList, kDict, kSet,
    kGlobal,   // an allowed global, as `module.name` in text
    kStorage, kTensor,
    kOpaque,   // an inert stand-in for allowed non-tensor objects (numpy scalars...); text = its global
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;  // kString (UTF-8), kBytes, kBigInt (little-endian two's complement), kGlobal, kOpaque
  std::vector<const PickleValue*> items;  // kTuple, kList, kSet, kOpaque (args)
  std::vector<std::pair<const PickleValue*, const PickleValue*>> pairs;  // kDict, in insertion order
  TorchStorage storage;
  TorchTensor tensor;

  bool is(Kind k) const { return kind == k; }
  // For kDict: the value stored under the string key `key`, or nullptr.
  const PickleValue* get(std::string_view key) const;
};

// Owns the nodes of one parse; nodes point at each other with raw pointers.
class PickleArena {
 public:
  PickleValue* make(PickleValue::Kind kind) {
    nodes_.push_back(std::make_unique<PickleValue>());
    nodes_.back()->kind = kind;
    return nodes_.back().get();
  }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<std::unique_ptr<PickleValue>> nodes_;
};

}  // namespace upres::weights
