// Tensor: creation checks, alignment, dtype conversion, views.
#include "engine/tensor.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace upres::engine {
namespace {

TEST(TensorTest, ZerosIsAlignedAndZeroed) {
  auto t = Tensor::zeros({2, 3, 5, 7});
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->numel(), 210);
  EXPECT_EQ(t->size_bytes(), 840u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->raw()) % Tensor::kAlignment, 0u);
  for (float v : t->to_f32()) ASSERT_EQ(v, 0.0f);
  EXPECT_EQ(t->layout(), Layout::kNchw);
  EXPECT_EQ(t->dim(-1), 7);
}

TEST(TensorTest, RejectsBadShapesAndDtypes) {
  EXPECT_EQ(Tensor::zeros({2, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::zeros({1 << 20, 1 << 20, 1 << 20}).status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Tensor::zeros({2}, DType::kI64).status().code(), StatusCode::kUnsupported);
  std::vector<float> three = {1, 2, 3};
  EXPECT_EQ(Tensor::from_f32(three, {2, 2}).status().code(), StatusCode::kInvalidArgument);
}

TEST(TensorTest, ConvertsBetweenStorageDtypes) {
  std::vector<float> values = {1.0f, -2.0f, 0.1f, 65504.0f, 1.00390625f};
  auto t = Tensor::from_f32(values, {5});
  ASSERT_TRUE(t.is_ok());
  auto half = t->to(DType::kF16);
  ASSERT_TRUE(half.is_ok());
  EXPECT_EQ(half->size_bytes(), 10u);
  std::vector<float> back = half->to_f32();
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[3], 65504.0f);
  EXPECT_NEAR(back[2], 0.1f, 1e-4f);
  auto bf = t->to(DType::kBF16);
  ASSERT_TRUE(bf.is_ok());
  EXPECT_EQ(bf->to_f32()[4], 1.0f);  // halfway rounds to even
  EXPECT_NE(bf->to_f32()[2], 0.1f);
}

TEST(TensorTest, CopiesShareStorageCloneDoesNot) {
  auto t = Tensor::zeros({4});
  ASSERT_TRUE(t.is_ok());
  Tensor shared = *t;
  Tensor deep = t->clone();
  shared.set(1, 5.0f);
  EXPECT_EQ(t->get(1), 5.0f);
  EXPECT_EQ(deep.get(1), 0.0f);
  auto view = t->reshaped({2, 2});
  ASSERT_TRUE(view.is_ok());
  EXPECT_EQ(view->get(1), 5.0f);
  EXPECT_FALSE(t->reshaped({3}).is_ok());
}

// over_storage: the tensor is the caller's bytes (writes through either show in the other), and
// storage too small or misaligned for the shape is refused.
TEST(TensorTest, OverStorageWrapsCallerMemoryAndChecksIt) {
  auto storage = std::shared_ptr<std::byte[]>(new (std::align_val_t{64}) std::byte[128], [](std::byte* p) {
    ::operator delete[](p, std::align_val_t{64});
  });
  auto t = Tensor::over_storage(storage, 128, {2, 16});
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  reinterpret_cast<float*>(storage.get())[17] = 3.5f;
  EXPECT_EQ(t->get(17), 3.5f);
  t->set(0, -1.0f);
  EXPECT_EQ(reinterpret_cast<float*>(storage.get())[0], -1.0f);
  EXPECT_EQ(Tensor::over_storage(storage, 128, {2, 17}).status().code(), StatusCode::kInvalidArgument) << "132 bytes";
  const std::shared_ptr<std::byte[]> misaligned(storage, storage.get() + 4);
  EXPECT_EQ(Tensor::over_storage(misaligned, 124, {2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::over_storage(nullptr, 0, {0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::over_storage(storage, 128, {2}, DType::kI64).status().code(), StatusCode::kUnsupported);
}

TEST(TensorTest, BroadcastShapes) {
  auto s = broadcast_shapes({2, 1, 4}, {3, 1});
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(*s, (Shape{2, 3, 4}));
  EXPECT_FALSE(broadcast_shapes({2, 3}, {4, 3}).is_ok());
}

}  // namespace
}  // namespace upres::engine
