// PickleReader: a pickle virtual machine (protocols 2-5) that builds an inert PickleValue tree.
// Globals resolve only through the allow-list in torch_globals.h; nothing is imported or run.
// One reader per file (storages are shared across the pickles of a legacy checkpoint);
// not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "weights/byte_cursor.h"
#include "weights/pickle_value.h"

namespace upres::weights {

class PickleReader {
 public:
  PickleReader() : arena_(std::make_shared<PickleArena>()) {}

  // Runs one pickle from the cursor's position through its STOP opcode; the cursor is left just
  // after STOP. Returns the top-of-stack value (owned by arena()).
  Result<const PickleValue*> load(ByteCursor& cursor);

  // Every storage met in persistent ids so far, by key.
  const std::map<std::string, PickleValue*>& storages() const { return storages_; }
  const std::shared_ptr<PickleArena>& arena() const { return arena_; }

 private:
  Status step(uint8_t op, ByteCursor& in);
  Status push_number(uint8_t op, ByteCursor& in);
  Status push_text(uint8_t op, ByteCursor& in);
  Status build_container(uint8_t op);
  Status fill_container(uint8_t op);
  Status memo_op(uint8_t op, ByteCursor& in);
  Status object_op(uint8_t op, ByteCursor& in);

  Result<PickleValue*> pop();
  Result<PickleValue*> top();
  Result<std::vector<PickleValue*>> pop_to_mark();
  void push(PickleValue* value) { stack_.push_back(value); }
  PickleValue* make(PickleValue::Kind kind) { return arena_->make(kind); }

  std::shared_ptr<PickleArena> arena_;
  std::map<std::string, PickleValue*> storages_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

}  // namespace upres::weights
