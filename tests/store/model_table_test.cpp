// The `upres models` table layout.
#include "store/model_table.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace upres::store {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ModelTableTest, AlignsColumnsAndNamesTheStatus) {
  std::vector<ModelListing> rows(4);
  rows[0].name = "R-ESRGAN 4x+";
  rows[0].native_scale = 4;
  rows[0].installed = true;
  rows[0].files = {"models/RealESRGAN/realesrgan-x4plus.param", "models/RealESRGAN/realesrgan-x4plus.bin"};
  rows[1].name = "GFPGAN";
  rows[1].kind = ModelKind::kFaceRestorer;
  rows[1].native_scale = 1;
  rows[1].url = "https://example.invalid/GFPGANv1.4.pth";
  rows[2].name = "Real-CUGAN 2x";
  rows[2].native_scale = 2;
  rows[2].source = "npm:waifu2x@1.6.5";
  rows[3].name = "mystery";
  rows[3].installed = true;
  rows[3].user_file = true;
  rows[3].files = {"models/ESRGAN/mystery.pth"};

  std::vector<std::string> lines = lines_of(format_model_table(rows));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[0].starts_with("NAME           KIND"));
  size_t location = lines[0].find("LOCATION");
  ASSERT_NE(location, std::string::npos);
  EXPECT_EQ(lines[1].substr(location), "models/RealESRGAN/realesrgan-x4plus.param");
  EXPECT_EQ(lines[2].substr(location), "https://example.invalid/GFPGANv1.4.pth");
  EXPECT_EQ(lines[3].substr(location), "npm:waifu2x@1.6.5 (scripts/setup.sh)");
  size_t status = lines[0].find("STATUS");
  EXPECT_TRUE(lines[1].substr(status).starts_with("installed "));
  EXPECT_TRUE(lines[2].substr(status).starts_with("download "));
  EXPECT_TRUE(lines[3].substr(status).starts_with("setup "));
  size_t scale = lines[0].find("SCALE");
  EXPECT_TRUE(lines[1].substr(scale).starts_with("4x "));
  EXPECT_TRUE(lines[4].substr(scale).starts_with("- "));
  EXPECT_NE(lines[4].find("user upscaler"), std::string::npos);
  EXPECT_NE(lines[2].find("face restorer"), std::string::npos);
}

}  // namespace
}  // namespace upres::store
