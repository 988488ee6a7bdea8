// Names of the ops, as PyTorch spells them where it has the op.
#include "engine/op_kind.h"

#include <array>

namespace upres::engine {
namespace {

constexpr std::array<std::string_view, kOpKindCount> kNames = {
    "constant",      "conv2d",          "conv_transpose2d", "relu",        "leaky_relu",
    "prelu",         "sigmoid",         "tanh",             "gelu",        "silu",
    "add",           "mul",             "scale",            "concat",      "slice",
    "resize",        "pixel_shuffle",   "pixel_unshuffle",  "pad",         "permute",
    "reshape",       "avg_pool2d",      "max_pool2d",       "global_avg_pool", "linear",
    "matmul",        "layer_norm",      "group_norm",       "batch_norm",  "softmax",
    "l2_normalize",  "mish",            "rfft2",            "irfft2",      "unary",
    "binary",        "reduce",
};

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  int index = static_cast<int>(kind);
  if (index < 0 || index >= kOpKindCount) return "unknown";
  return kNames[static_cast<size_t>(index)];
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (int i = 0; i < kOpKindCount; ++i) {
    if (kNames[static_cast<size_t>(i)] == name) return static_cast<OpKind>(i);
  }
  return std::nullopt;
}

}  // namespace upres::engine
