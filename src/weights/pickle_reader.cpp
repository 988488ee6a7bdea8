// PickleReader: opcode dispatch. Opcode values and semantics from CPython's Lib/pickle.py.
#include "weights/pickle_reader.h"

#include <bit>
#include <cstring>

#include "weights/torch_globals.h"

namespace upres::weights {
namespace {

using Kind = PickleValue::Kind;

constexpr size_t kMaxStackDepth = 1u << 20;

std::string hex_op(uint8_t op) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[op >> 4] + digits[op & 15];
}

// Text up to the next '\n' (GLOBAL / INST operands).
Result<std::string> read_line(ByteCursor& in) {
  std::string out;
  while (true) {
    UPRES_ASSIGN_OR_RETURN(uint8_t c, in.read_le<uint8_t>("pickle text line"));
    if (c == '\n') return out;
    if (out.size() > 4096) return corrupt(in.context() + ": pickle text line too long");
    out.push_back(static_cast<char>(c));
  }
}

}  // namespace

Result<const PickleValue*> PickleReader::load(ByteCursor& in) {
  stack_.clear();
  marks_.clear();
  memo_.clear();
  while (true) {
    uint64_t at = in.position();
    UPRES_ASSIGN_OR_RETURN(uint8_t op, in.read_le<uint8_t>("pickle opcode"));
    if (op == '.') {
      if (stack_.size() != 1 || !marks_.empty()) return corrupt(in.context() + ": pickle STOP with a bad stack");
      return stack_.back();
    }
    Status status = step(op, in);
    if (!status.is_ok()) {
      return status.with_context(in.context() + ": pickle opcode " + hex_op(op) + " at offset " + std::to_string(at));
    }
    if (stack_.size() > kMaxStackDepth) return corrupt(in.context() + ": pickle stack too deep");
  }
}

Status PickleReader::step(uint8_t op, ByteCursor& in) {
  switch (op) {
    case 0x80: return in.take(1, "protocol").status();            // PROTO
    case 0x95: return in.take(8, "frame length").status();        // FRAME: frames are transparent
    case '(': marks_.push_back(stack_.size()); return Status::ok();  // MARK
    case '0': return pop().status();                               // POP
    case '1': return pop_to_mark().status();                       // POP_MARK
    case '2': { UPRES_ASSIGN_OR_RETURN(auto v, top()); push(v); return Status::ok(); }  // DUP
    case 'N': push(make(Kind::kNone)); return Status::ok();
    case 0x88: case 0x89: {                                        // NEWTRUE, NEWFALSE
      PickleValue* v = make(Kind::kBool);
      v->boolean = op == 0x88;
      push(v);
      return Status::ok();
    }
    case 'J': case 'K': case 'M': case 0x8a: case 0x8b: case 'G': return push_number(op, in);
    case 'X': case 0x8c: case 0x8d: case 'T': case 'U': case 'B': case 'C': case 0x8e: case 0x96:
      return push_text(op, in);
    case ')': case ']': case '}': case 0x8f: case 't': case 0x85: case 0x86: case 0x87: case 'l': case 'd':
    case 0x91:
      return build_container(op);
    case 'a': case 'e': case 's': case 'u': case 0x90: return fill_container(op);
    case 'q': case 'r': case 0x94: case 'h': case 'j': return memo_op(op, in);
    case 'c': case 0x93: case 'R': case 'b': case 'Q': case 'i': return object_op(op, in);
    default:
      return unsupported("opcode not handled (protocol 0/1 text opcodes, NEWOBJ, extensions and "
                         "out-of-band buffers are not read)");
  }
}

Status PickleReader::push_number(uint8_t op, ByteCursor& in) {
  PickleValue* v = make(Kind::kInt);
  switch (op) {
    case 'J': { UPRES_ASSIGN_OR_RETURN(int32_t n, in.read_le<int32_t>("BININT")); v->integer = n; break; }
    case 'K': { UPRES_ASSIGN_OR_RETURN(uint8_t n, in.read_le<uint8_t>("BININT1")); v->integer = n; break; }
    case 'M': { UPRES_ASSIGN_OR_RETURN(uint16_t n, in.read_le<uint16_t>("BININT2")); v->integer = n; break; }
    case 'G': {
      UPRES_ASSIGN_OR_RETURN(uint64_t bits, in.read_le<uint64_t>("BINFLOAT"));
      v->kind = Kind::kFloat;
      v->real = std::bit_cast<double>(__builtin_bswap64(bits));  // big-endian on the wire
      break;
    }
    default: {  // LONG1, LONG4: little-endian two's complement
      uint64_t n = 0;
      if (op == 0x8a) { UPRES_ASSIGN_OR_RETURN(uint8_t n1, in.read_le<uint8_t>("LONG1 length")); n = n1; }
      if (op == 0x8b) { UPRES_ASSIGN_OR_RETURN(uint32_t n4, in.read_le<uint32_t>("LONG4 length")); n = n4; }
      UPRES_ASSIGN_OR_RETURN(auto bytes, in.take(n, "long integer"));
      if (n <= 8) {
        uint64_t word = 0;
        for (size_t i = 0; i < n; ++i) word |= uint64_t{bytes[i]} << (8 * i);
        if (n > 0 && n < 8 && (bytes[n - 1] & 0x80)) word |= ~uint64_t{0} << (8 * n);
        v->integer = static_cast<int64_t>(word);
      } else {
        v->kind = Kind::kBigInt;
        v->text.assign(bytes.begin(), bytes.end());
      }
    }
  }
  push(v);
  return Status::ok();
}

Status PickleReader::push_text(uint8_t op, ByteCursor& in) {
  uint64_t n = 0;
  switch (op) {
    case 0x8c: case 'U': case 'C': { UPRES_ASSIGN_OR_RETURN(uint8_t v, in.read_le<uint8_t>("length")); n = v; break; }
    case 'X': case 'T': case 'B': { UPRES_ASSIGN_OR_RETURN(uint32_t v, in.read_le<uint32_t>("length")); n = v; break; }
    default: { UPRES_ASSIGN_OR_RETURN(n, in.read_le<uint64_t>("length")); }
  }
  if (op == 'T' && n > 0x7FFFFFFF) return corrupt("negative BINSTRING length");
  UPRES_ASSIGN_OR_RETURN(auto bytes, in.take(n, "string data"));
  bool is_text = op == 'X' || op == 0x8c || op == 0x8d || op == 'T' || op == 'U';
  PickleValue* v = make(is_text ? Kind::kString : Kind::kBytes);
  v->text.assign(bytes.begin(), bytes.end());
  push(v);
  return Status::ok();
}

Status PickleReader::build_container(uint8_t op) {
  std::vector<PickleValue*> items;
  size_t fixed = op == 0x85 ? 1 : op == 0x86 ? 2 : op == 0x87 ? 3 : 0;
  if (op == 't' || op == 'l' || op == 'd' || op == 0x91) {
    UPRES_ASSIGN_OR_RETURN(items, pop_to_mark());
  } else {
    if (stack_.size() < fixed || (!marks_.empty() && stack_.size() - fixed < marks_.back())) {
      return corrupt("stack underflow");
    }
    items.assign(stack_.end() - fixed, stack_.end());
    stack_.resize(stack_.size() - fixed);
  }
  Kind kind = Kind::kTuple;
  if (op == ']' || op == 'l') kind = Kind::kList;
  if (op == '}' || op == 'd') kind = Kind::kDict;
  if (op == 0x8f || op == 0x91) kind = Kind::kSet;
  PickleValue* v = make(kind);
  if (kind == Kind::kDict) {
    if (items.size() % 2 != 0) return corrupt("DICT with an odd number of items");
    for (size_t i = 0; i < items.size(); i += 2) v->pairs.emplace_back(items[i], items[i + 1]);
  } else {
    v->items.assign(items.begin(), items.end());
  }
  push(v);
  return Status::ok();
}

Status PickleReader::fill_container(uint8_t op) {
  std::vector<PickleValue*> items;
  if (op == 'a' || op == 's') {
    size_t n = op == 'a' ? 1 : 2;
    if (stack_.size() < n + 1 || (!marks_.empty() && stack_.size() - n - 1 < marks_.back())) {
      return corrupt("stack underflow");
    }
    items.assign(stack_.end() - n, stack_.end());
    stack_.resize(stack_.size() - n);
  } else {
    UPRES_ASSIGN_OR_RETURN(items, pop_to_mark());
  }
  UPRES_ASSIGN_OR_RETURN(PickleValue* target, top());
  bool is_dict_op = op == 's' || op == 'u';
  Kind want = is_dict_op ? Kind::kDict : op == 0x90 ? Kind::kSet : Kind::kList;
  if (target->kind != want) return corrupt("items added to the wrong kind of container");
  if (is_dict_op) {
    if (items.size() % 2 != 0) return corrupt("SETITEMS with an odd number of items");
    for (size_t i = 0; i < items.size(); i += 2) target->pairs.emplace_back(items[i], items[i + 1]);
  } else {
    target->items.insert(target->items.end(), items.begin(), items.end());
  }
  return Status::ok();
}

Status PickleReader::memo_op(uint8_t op, ByteCursor& in) {
  uint64_t index = memo_.size();
  if (op == 'q' || op == 'h') { UPRES_ASSIGN_OR_RETURN(uint8_t i, in.read_le<uint8_t>("memo index")); index = i; }
  if (op == 'r' || op == 'j') { UPRES_ASSIGN_OR_RETURN(uint32_t i, in.read_le<uint32_t>("memo index")); index = i; }
  if (op == 'h' || op == 'j') {
    auto it = memo_.find(index);
    if (it == memo_.end()) return corrupt("memo index " + std::to_string(index) + " was never stored");
    push(it->second);
    return Status::ok();
  }
  UPRES_ASSIGN_OR_RETURN(PickleValue* v, top());
  memo_[index] = v;
  return Status::ok();
}

Status PickleReader::object_op(uint8_t op, ByteCursor& in) {
  if (op == 'c' || op == 'i') {  // GLOBAL, INST: "module\nname\n"
    UPRES_ASSIGN_OR_RETURN(std::string module, read_line(in));
    UPRES_ASSIGN_OR_RETURN(std::string name, read_line(in));
    UPRES_ASSIGN_OR_RETURN(PickleValue* global, resolve_global(module, name, *arena_));
    if (op == 'i') return unsupported("INST opcode for '" + global->text + "'");
    push(global);
    return Status::ok();
  }
  if (op == 0x93) {  // STACK_GLOBAL
    UPRES_ASSIGN_OR_RETURN(PickleValue* name, pop());
    UPRES_ASSIGN_OR_RETURN(PickleValue* module, pop());
    if (!name->is(Kind::kString) || !module->is(Kind::kString)) return corrupt("STACK_GLOBAL operands are not strings");
    UPRES_ASSIGN_OR_RETURN(PickleValue* global, resolve_global(module->text, name->text, *arena_));
    push(global);
    return Status::ok();
  }
  UPRES_ASSIGN_OR_RETURN(PickleValue* arg, pop());
  if (op == 'Q') {  // BINPERSID
    UPRES_ASSIGN_OR_RETURN(PickleValue* storage, load_persistent_id(*arg, *arena_, storages_));
    push(storage);
    return Status::ok();
  }
  UPRES_ASSIGN_OR_RETURN(PickleValue* target, top());
  if (op == 'b') return apply_build(*target, *arg);  // BUILD
  UPRES_ASSIGN_OR_RETURN(PickleValue* result, apply_reduce(*target, *arg, *arena_));  // REDUCE
  stack_.back() = result;
  return Status::ok();
}

Result<PickleValue*> PickleReader::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) return corrupt("stack underflow");
  PickleValue* v = stack_.back();
  stack_.pop_back();
  return v;
}

Result<PickleValue*> PickleReader::top() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) return corrupt("stack underflow");
  return stack_.back();
}

Result<std::vector<PickleValue*>> PickleReader::pop_to_mark() {
  if (marks_.empty()) return corrupt("no MARK on the stack");
  size_t mark = marks_.back();
  marks_.pop_back();
  if (mark > stack_.size()) return corrupt("MARK above the top of the stack");
  std::vector<PickleValue*> items(stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

}  // namespace upres::weights
