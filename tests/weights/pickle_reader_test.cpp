// The pickle VM on hand-written opcode streams: data types, memo, protocol 4 framing, torch
// tensor rebuilds, and refusal of globals outside the allow-list.
#include "weights/pickle_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace upres::weights {
namespace {

using Kind = PickleValue::Kind;
using namespace std::string_literals;

Result<const PickleValue*> parse(PickleReader& reader, const std::string& bytes) {
  ByteCursor cursor({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, "test.pkl");
  return reader.load(cursor);
}

std::string str(const std::string& s) {
  std::string out = "X";
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}

TEST(PickleReader, PlainDataWithMemo) {
  // {'a': [1, -2, 300, 70000, 2.5, None, True], 'b': <memo 1>} at protocol 2.
  std::string p = "\x80\x02}q\x00("s + str("a") + "]q\x01(K\x01J\xfe\xff\xff\xffM\x2c\x01J\x70\x11\x01\x00"s +
                  std::string("G\x40\x04\x00\x00\x00\x00\x00\x00", 9) + "N\x88" + "e" + str("b") + "h\x01" + "u.";
  PickleReader reader;
  auto root = parse(reader, p);
  ASSERT_TRUE(root.is_ok()) << root.status().to_string();
  ASSERT_TRUE((*root)->is(Kind::kDict));
  const PickleValue* a = (*root)->get("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 7u);
  EXPECT_EQ(a->items[1]->integer, -2);
  EXPECT_EQ(a->items[2]->integer, 300);
  EXPECT_EQ(a->items[3]->integer, 70000);
  EXPECT_EQ(a->items[4]->real, 2.5);
  EXPECT_TRUE(a->items[5]->is(Kind::kNone));
  EXPECT_TRUE(a->items[6]->boolean);
  EXPECT_EQ((*root)->get("b"), a);  // memo shares the object
}

TEST(PickleReader, Protocol4FramesShortStringsAndStackGlobal) {
  std::string frame_len("\x95\x20\x00\x00\x00\x00\x00\x00\x00", 9);
  std::string p = "\x80\x04" + frame_len + "\x8c\x0b" + "collections" + "\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94" +
                  "\x8c\x01k\x8a\x01\xff" + "s.";
  PickleReader reader;
  auto root = parse(reader, p);
  ASSERT_TRUE(root.is_ok()) << root.status().to_string();
  ASSERT_TRUE((*root)->is(Kind::kDict));
  EXPECT_EQ((*root)->get("k")->integer, -1);
}

TEST(PickleReader, RebuildsTensorsFromPersistentStorages) {
  std::string pid = "(" + str("storage") + "ctorch\nHalfStorage\n" + str("7") + str("cpu") + "K\x0c" + "tQ";
  std::string p = "\x80\x02" "ctorch._utils\n_rebuild_tensor_v2\n(" + pid + "K\x02" + "K\x03K\x04\x86" +
                  "K\x04K\x01\x86" + "\x89" + "ccollections\nOrderedDict\n)R" + "tR.";
  PickleReader reader;
  auto root = parse(reader, p);
  ASSERT_TRUE(root.is_ok()) << root.status().to_string();
  ASSERT_TRUE((*root)->is(Kind::kTensor));
  const TorchTensor& t = (*root)->tensor;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(t.stride, (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(t.storage_offset, 2);
  EXPECT_EQ(t.storage->storage.dtype, DType::kF16);
  EXPECT_EQ(reader.storages().at("7")->storage.numel, 12);
}

TEST(PickleReader, RefusesGlobalsOutsideTheAllowList) {
  const std::pair<std::string, std::string> cases[] = {
      {"\x80\x02" "cos\nsystem\n" + str("id") + "\x85R.", "'os.system'"},
      {"\x80\x02" "cbuiltins\neval\n" + str("1") + "\x85R.", "'builtins.eval'"},
      {"\x80\x02" "c__builtin__\ngetattr\n.", "'__builtin__.getattr'"},
      {"\x80\x02" "ctorch\nload\n.", "'torch.load'"},
      {"\x80\x02" "(ios\nsystem\n" + str("id") + ".", "'os.system'"},  // INST
      {"\x80\x04\x8c\x02nt\x8c\x06system\x93.", "'nt.system'"},
  };
  for (const auto& [bytes, name] : cases) {
    PickleReader reader;
    auto root = parse(reader, bytes);
    ASSERT_FALSE(root.is_ok());
    EXPECT_EQ(root.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(root.status().message().find(name), std::string::npos) << root.status().message();
  }
}

TEST(PickleReader, MalformedStreamsAreCorrupt) {
  const std::string cases[] = {
      "",                        // no STOP
      "\x80\x02",                // truncated
      "\x80\x02" "a.",           // APPEND on empty stack
      "\x80\x02" "h\x05.",       // memo never stored
      "\x80\x02" "K\x01K\x02.",  // two values at STOP
      "\x80\x02" "t.",           // TUPLE without MARK
      "\x80\x02" "X\xff\xff\xff\x7f" "abc.",  // string longer than the file
      "\x80\x02" "}K\x01s.",     // SETITEM with one operand
      "\x80\x02" "K\x01(\x86(e.",  // TUPLE2 reaching below a MARK, then APPENDS
  };
  for (const std::string& bytes : cases) {
    PickleReader reader;
    auto root = parse(reader, bytes);
    ASSERT_FALSE(root.is_ok()) << "accepted " << bytes.size() << " bytes";
    EXPECT_EQ(root.status().code(), StatusCode::kCorrupt) << root.status().to_string();
  }
}

}  // namespace
}  // namespace upres::weights
