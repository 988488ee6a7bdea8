// ConvTransBlock: binding and graph. SCUNet's WMSA is Swin's window attention in a different
// notation: its qkv split 'b nw np (threeh c)' is Swin's (q|k|v, head, head_dim) channel order, its
// output '(h c)' Swin's head concatenation, and its boolean generate_mask marks exactly the pairs
// Swin's region labels separate (checked against PyTorch in tests/models/scunet_test.cpp), so the
// shared attention pieces serve with a -inf fill. Only the bias parameterisation is its own:
// relative_position_params [heads, 2ws-1, 2ws-1] indexed by (dy, dx) + ws - 1.
#include "models/scunet/conv_trans_block.h"

#include <limits>
#include <vector>

namespace upres::models::scunet {
namespace {

using engine::Graph;
using engine::Tensor;
using engine::Value;

constexpr int64_t kTableSide = 2 * kWindow - 1;

// params[h, dy + ws - 1, dx + ws - 1] for query i, key j: [heads, N, N].
Tensor relative_bias(const Tensor& params) {
  const int64_t heads = params.dim(0), n = int64_t{kWindow} * kWindow;
  const std::vector<float> values = params.to_f32();
  // Swin's index is (dy + ws - 1) * (2ws - 1) + (dx + ws - 1): the flat offset in one head's table.
  const std::vector<int64_t> index = attention::relative_position_index(kWindow, kWindow);
  std::vector<float> bias(static_cast<size_t>(heads * n * n));
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t ij = 0; ij < n * n; ++ij) {
      bias[static_cast<size_t>(h * n * n + ij)] =
          values[static_cast<size_t>(h * kTableSide * kTableSide + index[static_cast<size_t>(ij)])];
    }
  }
  return *Tensor::from_f32(bias, {heads, n, n});
}

}  // namespace

Tensor shifted_window_mask(int64_t height, int64_t width) {
  return attention::shifted_window_mask(height, width, kWindow, kShift, -std::numeric_limits<float>::infinity());
}

Result<ConvTransBlock> ConvTransBlock::bind(const nn::StateDict& weights, const std::string& key, int64_t half,
                                            bool shifted) {
  ConvTransBlock b;
  b.key_ = key;
  b.half_ = half;
  b.shifted_ = shifted;
  const int64_t dim = 2 * half;
  UPRES_ASSIGN_OR_RETURN(b.conv1_1_, nn::Conv2d::bind(weights, key + ".conv1_1",
                                                      {.in_channels = dim, .out_channels = dim, .kernel = 1, .padding = 0}));
  UPRES_ASSIGN_OR_RETURN(b.conv1_2_, nn::Conv2d::bind(weights, key + ".conv1_2",
                                                      {.in_channels = dim, .out_channels = dim, .kernel = 1, .padding = 0}));
  const nn::Conv2dShape branch{.in_channels = half, .out_channels = half, .kernel = 3, .padding = 1, .has_bias = false};
  UPRES_ASSIGN_OR_RETURN(b.conv_block_0_, nn::Conv2d::bind(weights, key + ".conv_block.0", branch));
  UPRES_ASSIGN_OR_RETURN(b.conv_block_2_, nn::Conv2d::bind(weights, key + ".conv_block.2", branch));

  const std::string t = key + ".trans_block.";
  UPRES_ASSIGN_OR_RETURN(b.ln1_weight_, weights.tensor(t + "ln1.weight", {half}));
  UPRES_ASSIGN_OR_RETURN(b.ln1_bias_, weights.tensor(t + "ln1.bias", {half}));
  UPRES_ASSIGN_OR_RETURN(b.ln2_weight_, weights.tensor(t + "ln2.weight", {half}));
  UPRES_ASSIGN_OR_RETURN(b.ln2_bias_, weights.tensor(t + "ln2.bias", {half}));

  // [heads, 2ws-1, 2ws-1] as the original stores it, or flat [(2ws-1)^2, heads] (Swin's table
  // layout, which the original initialises before reshaping and some converted files keep).
  const std::string params_key = t + "msa.relative_position_params";
  const std::vector<int64_t>* params_shape = weights.shape(params_key);
  if (params_shape == nullptr) return not_found("missing " + params_key);
  const bool flat = params_shape->size() == 2;
  const int64_t heads = params_shape->size() < 2 ? 0 : (*params_shape)[flat ? 1 : 0];
  if (heads <= 0 || half % heads != 0) {
    return corrupt(params_key + " has " + std::to_string(heads) + " heads, which do not split " +
                   std::to_string(half) + " channels");
  }
  if (flat) {
    UPRES_ASSIGN_OR_RETURN(const Tensor table, weights.tensor(params_key, {kTableSide * kTableSide, heads}));
    UPRES_ASSIGN_OR_RETURN(b.relative_bias_, attention::relative_position_bias(table, kWindow, kWindow));
  } else {
    UPRES_ASSIGN_OR_RETURN(const Tensor params, weights.tensor(params_key, {heads, kTableSide, kTableSide}));
    b.relative_bias_ = relative_bias(params);
  }
  b.msa_.heads = static_cast<int>(heads);
  UPRES_ASSIGN_OR_RETURN(b.msa_.qkv_weight, weights.tensor(t + "msa.embedding_layer.weight", {3 * half, half}));
  UPRES_ASSIGN_OR_RETURN(b.msa_.qkv_bias, weights.tensor(t + "msa.embedding_layer.bias", {3 * half}));
  UPRES_ASSIGN_OR_RETURN(b.msa_.proj_weight, weights.tensor(t + "msa.linear.weight", {half, half}));
  UPRES_ASSIGN_OR_RETURN(b.msa_.proj_bias, weights.tensor(t + "msa.linear.bias", {half}));
  UPRES_RETURN_IF_ERROR(attention::check_multi_head_weights(b.msa_, half));

  UPRES_ASSIGN_OR_RETURN(b.mlp0_weight_, weights.tensor(t + "mlp.0.weight", {4 * half, half}));
  UPRES_ASSIGN_OR_RETURN(b.mlp0_bias_, weights.tensor(t + "mlp.0.bias", {4 * half}));
  UPRES_ASSIGN_OR_RETURN(b.mlp2_weight_, weights.tensor(t + "mlp.2.weight", {half, 4 * half}));
  UPRES_ASSIGN_OR_RETURN(b.mlp2_bias_, weights.tensor(t + "mlp.2.bias", {half}));
  return b;
}

Value ConvTransBlock::transformer(Graph& g, Value tokens, int64_t height, int64_t width, Value mask) const {
  const engine::LayerNormAttrs norm{.normalized_dims = 1, .eps = 1e-5f};
  // x = x + msa(ln1(x))
  Value a = g.layer_norm(tokens, ln1_weight_, ln1_bias_, norm);                 // [1, hw, C]
  if (shifted_) a = attention::roll(g, a, height, width, -kShift, -kShift);
  Value windows = attention::window_partition(g, a, height, width, kWindow, kWindow);  // [nW, N, C]
  windows = attention::window_attention(g, windows, msa_, g.constant(relative_bias_),
                                        shifted_ ? mask : Value());
  a = attention::window_reverse(g, windows, height, width, kWindow, kWindow);   // [1, hw, C]
  if (shifted_) a = attention::roll(g, a, height, width, kShift, kShift);
  Value x = g.add(tokens, a);
  // x = x + mlp(ln2(x))
  Value m = g.layer_norm(x, ln2_weight_, ln2_bias_, norm);
  m = g.gelu(g.linear(m, mlp0_weight_, mlp0_bias_));                             // [1, hw, 4C]
  m = g.linear(m, mlp2_weight_, mlp2_bias_);                                     // [1, hw, C]
  return g.add(x, m);
}

Value ConvTransBlock::operator()(Graph& g, Value x, Value mask) const {
  const engine::Shape& shape = g.shape(x);
  const int64_t height = shape[2], width = shape[3];
  const Value y = conv1_1_(g, x);                                               // [1, 2C, h, w]
  Value conv_x = g.slice(y, 1, 0, half_);                                       // [1, C, h, w]
  conv_x = g.add(conv_block_2_(g, g.relu(conv_block_0_(g, conv_x))), conv_x);
  Value trans_x = g.slice(y, 1, half_, 2 * half_);                              // [1, C, h, w]
  Value tokens = g.permute(g.reshape(trans_x, {1, half_, height * width}), {0, 2, 1});  // [1, hw, C]
  tokens = transformer(g, tokens, height, width, mask);
  trans_x = g.reshape(g.permute(tokens, {0, 2, 1}), {1, half_, height, width});
  const Value res = conv1_2_(g, g.concat({conv_x, trans_x}, 1));                // [1, 2C, h, w]
  return g.named(g.add(x, res), key_);
}

}  // namespace upres::models::scunet
