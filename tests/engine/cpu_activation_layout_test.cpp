// The cpu backend's activation layouts (activation_layout.h): the layout chosen per CPU class, and
// every layout it can choose (nChw8c for AVX2, nChw16c for AVX-512, NHWC for bf16 on AMX) forced on
// this machine: a network with dense concatenation, residuals, broadcast binaries, resize, group
// norm and pixel shuffle matches the reference backend, and no op leaves the fast path; a pixel
// shuffle reads blocked fp32 without a reorder.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/backend_registry.h"
#include "engine/cpu/activation_layout.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "op_case.h"
#include "random_graph_parts.h"

namespace upres::engine {
namespace {

using cpu::ActivationLayout;
using dnnl::cpu_isa;
using dnnl::memory;

TEST(ActivationLayoutTest, FollowsTheCpuClass) {
  const auto f32 = memory::data_type::f32, bf16 = memory::data_type::bf16;
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx2, f32, CpuLayout::kAuto).name(), "nChw8c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx2_vnni, f32, CpuLayout::kAuto).name(), "nChw8c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx512_core, f32, CpuLayout::kAuto).name(), "nChw16c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx512_core_bf16, bf16, CpuLayout::kAuto).name(), "nChw16c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx512_core_amx, f32, CpuLayout::kAuto).name(), "nChw16c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx512_core_amx, bf16, CpuLayout::kAuto).name(), "nhwc");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx512_core, f32, CpuLayout::kBlocked8).name(), "nChw8c");
  EXPECT_EQ(ActivationLayout::choose(cpu_isa::avx2, f32, CpuLayout::kChannelsLast).name(), "nhwc");
}

TEST(ActivationLayoutTest, DenseSlicesOnlyAtBlockBoundaries) {
  EXPECT_TRUE(ActivationLayout::blocked(8).slices_densely(8, 24));
  EXPECT_FALSE(ActivationLayout::blocked(8).slices_densely(4, 8));
  EXPECT_FALSE(ActivationLayout::blocked(16).slices_densely(0, 24));
  EXPECT_FALSE(ActivationLayout::channels_last().slices_densely(0, 64));
}

// A dense block (in-place concats, residual), channel slices, a per-channel broadcast mul, nearest
// 2x resize, group norm and a pixel shuffle, each followed by a convolution.
Graph mixed_network() {
  std::mt19937 rng(99);
  Graph g;
  Value x = g.input("x", {1, 3, 20, 24});
  Value feat = random_conv3x3(g, x, 3, 32, rng);
  std::vector<Value> features = {feat};
  for (int i = 0; i < 3; ++i) {
    Value cat = features.size() == 1 ? feat : g.concat(features, 1);
    features.push_back(g.leaky_relu(random_conv3x3(g, cat, 32 + 16 * i, 16, rng), 0.2f));
  }
  Value body = g.add(g.scale(random_conv3x3(g, g.concat(features, 1), 80, 32, rng), 0.2f), feat);
  // GFPGAN's SFT: a channel slice at a block boundary modulated and concatenated back, and one that
  // is not on a boundary.
  Value half = g.add(g.mul(g.slice(body, 1, 16, 32), g.slice(body, 1, 0, 16)), g.slice(body, 1, 4, 20));
  body = g.concat({g.slice(body, 1, 0, 16), half}, 1);
  // A slice from a block boundary to inside a block (OmniSR's and PLKSR's partial channels), and
  // the rest from there to the end.
  body = g.add(body, g.concat({g.slice(body, 1, 0, 20), g.slice(body, 1, 20, 32)}, 1));
  Value gated = g.mul(body, g.input("gate", {1, 32, 1, 1}));
  Value up = g.resize(random_conv3x3(g, gated, 32, 32, rng),
                      ResizeAttrs{.mode = ResizeMode::kNearest, .scale_h = 2, .scale_w = 2});
  Value normed = g.group_norm(random_conv3x3(g, up, 32, 32, rng), random_tensor({32}, rng, 1.0f),
                              random_tensor({32}, rng, 1.0f), GroupNormAttrs{.groups = 8});
  Value shuffled = g.pixel_shuffle(random_conv3x3(g, normed, 32, 48, rng), 2);
  g.mark_output(random_conv3x3(g, shuffled, 12, 3, rng));
  EXPECT_TRUE(g.status().is_ok()) << g.status().to_string();
  return g;
}

struct LayoutCase {
  CpuLayout layout;
  const char* name;
};

TEST(ActivationLayoutTest, EveryLayoutMatchesReferenceOnFastKernels) {
  const Graph graph = mixed_network();
  std::mt19937 rng(5);
  const std::vector<Tensor> inputs = {random_tensor({1, 3, 20, 24}, rng, 1.0f), random_tensor({1, 32, 1, 1}, rng, 1.0f)};
  auto reference = create_backend("reference");
  ASSERT_TRUE(reference.is_ok());
  auto ref_exe = (*reference)->prepare(graph, {});
  ASSERT_TRUE(ref_exe.is_ok()) << ref_exe.status().to_string();
  std::vector<Tensor> expected(1);
  ASSERT_TRUE((*ref_exe)->run(inputs, expected).is_ok());

  cpu::CpuBackend backend;
  std::vector<DType> types = {DType::kF32};
  if (cpu::has_native_bf16()) types.push_back(DType::kBF16);
  for (const LayoutCase& c : {LayoutCase{CpuLayout::kAuto, "auto"}, LayoutCase{CpuLayout::kBlocked8, "nChw8c"},
                              LayoutCase{CpuLayout::kBlocked16, "nChw16c"}, LayoutCase{CpuLayout::kChannelsLast, "nhwc"}}) {
    // oneDNN's AVX2 kernels take nChw8c and NHWC, its AVX-512 ones nChw16c and NHWC.
    if (c.layout == CpuLayout::kBlocked16 && cpu::effective_isa() == cpu_isa::avx2) continue;
    for (DType type : types) {
      // nChw8c is the AVX2 layout, and AVX2 CPUs have no bf16 kernels.
      if (c.layout == CpuLayout::kBlocked8 && type == DType::kBF16) continue;
      SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(type)) + " on " +
                   cpu::isa_name(cpu::effective_isa()));
      auto exe = backend.prepare(graph, {.compute_dtype = type, .cpu_layout = c.layout});
      ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
      std::vector<Tensor> outputs(1);
      ASSERT_TRUE((*exe)->run(inputs, outputs).is_ok());
      EXPECT_LE(testing::relative_error(outputs[0], expected[0]), type == DType::kF32 ? 1e-5 : 2e-2);
      auto* cpu_exe = dynamic_cast<cpu::CpuExecutable*>(exe->get());
      ASSERT_NE(cpu_exe, nullptr);
      for (const std::string& step : cpu_exe->step_descriptions()) {
        EXPECT_EQ(step.find(" ref"), std::string::npos) << step;
        EXPECT_EQ(step.find(": fallback"), std::string::npos) << step;
      }
    }
  }
}

// A pixel shuffle reads an fp32 conv output where it lies (nChw8c, nChw16c), with no reorder to
// plain first: factors 2 and 4 (SRVGGNetCompact's 48 -> 3 channels), both channel orders.
TEST(ActivationLayoutTest, PixelShuffleReadsBlockedFp32WhereItLies) {
  cpu::CpuBackend backend;
  for (const int factor : {2, 4}) {
    for (const ShuffleOrder order : {ShuffleOrder::kPytorch, ShuffleOrder::kDepthToSpace}) {
      std::mt19937 rng(31 + factor);
      Graph g;
      const Shape input{1, 16, 9, 13};
      g.mark_output(g.pixel_shuffle(random_conv3x3(g, g.input("x", input), 16, 48, rng), factor, order));
      ASSERT_TRUE(g.status().is_ok()) << g.status().to_string();
      const Tensor x = random_tensor(input, rng, 1.0f);
      auto ref_exe = (*create_backend("reference"))->prepare(g, {});
      ASSERT_TRUE(ref_exe.is_ok()) << ref_exe.status().to_string();
      std::vector<Tensor> expected(1);
      ASSERT_TRUE((*ref_exe)->run({&x, 1}, expected).is_ok());
      for (const CpuLayout layout : {CpuLayout::kBlocked8, CpuLayout::kBlocked16}) {
        if (layout == CpuLayout::kBlocked16 && cpu::effective_isa() == cpu_isa::avx2) continue;
        SCOPED_TRACE("factor " + std::to_string(factor) + (order == ShuffleOrder::kPytorch ? " pytorch" : " d2s") +
                     (layout == CpuLayout::kBlocked8 ? " nChw8c" : " nChw16c"));
        auto exe = backend.prepare(g, {.cpu_layout = layout});
        ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
        std::vector<Tensor> outputs(1);
        ASSERT_TRUE((*exe)->run({&x, 1}, outputs).is_ok());
        EXPECT_LE(testing::relative_error(outputs[0], expected[0]), 1e-5);
        for (const std::string& step : dynamic_cast<cpu::CpuExecutable&>(**exe).step_descriptions()) {
          const bool shuffle_reorders = step.rfind("pixel_shuffle", 0) == 0 && step.find(": reorder") != std::string::npos;
          EXPECT_FALSE(shuffle_reorders) << step;
        }
      }
    }
  }
}

}  // namespace
}  // namespace upres::engine
