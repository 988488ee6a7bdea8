// ModelStore over a temporary models folder and a small test catalog served by model_server.py.
#include "store/model_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "local_model_server.h"

namespace upres::store {
namespace {

namespace fs = std::filesystem;
using testing::LocalModelServer;
using testing::TempFolder;

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    served_ = temp_.path() / "served";
    models_ = temp_.path() / "models";
    fs::create_directories(models_);
    testing::write_bytes(served_ / "Test_x2.pth", testing::random_bytes(5000, 1));
    testing::write_bytes(served_ / "Test_x4.pth", testing::random_bytes(6000, 2));
    testing::write_bytes(served_ / "Bad_x2.pth", testing::random_bytes(5000, 3));
    sha_x2_ = testing::sha256sum_of(served_ / "Test_x2.pth");
    sha_x4_ = testing::sha256sum_of(served_ / "Test_x4.pth");
    server_ = LocalModelServer::start(served_);
    ASSERT_NE(server_, nullptr);
    x4_ncnn_[0] = {"test-x4.param", "", "", 0};
    x4_ncnn_[1] = {"test-x4.bin", "", "", 0};
    x4_pth_[0] = {"Test_x4.pth", "https://example.invalid/v1/Test_x4.pth", sha_x4_, 6000};
    x2_pth_[0] = {"Test_x2.pth", "https://example.invalid/v1/Test_x2.pth", sha_x2_, 0};
    bad_pth_[0] = {"Bad_x2.pth", "https://example.invalid/v1/Bad_x2.pth", sha_x2_, 0};
    npm_[0] = {"up3x.param", "", "", 0};
    npm_[1] = {"up3x.bin", "", "", 0};
    x4_variants_[0] = {ModelFormat::kNcnn, "npm:test@1", x4_ncnn_};
    x4_variants_[1] = {ModelFormat::kPyTorch, "url", x4_pth_};
    x2_variants_[0] = {ModelFormat::kPyTorch, "url", x2_pth_};
    bad_variants_[0] = {ModelFormat::kPyTorch, "url", bad_pth_};
    npm_variants_[0] = {ModelFormat::kNcnn, "npm:test@1", npm_};
    catalog_[0] = {"Test 4x+", "RealESRGAN", "RRDBNet", ModelKind::kUpscaler, 4, x4_variants_};
    catalog_[1] = {"Test 2x", "ESRGAN", "RRDBNet", ModelKind::kUpscaler, 2, x2_variants_};
    catalog_[2] = {"Bad 2x", "ESRGAN", "RRDBNet", ModelKind::kUpscaler, 2, bad_variants_};
    catalog_[3] = {"NpmOnly 3x", "RealCUGAN", "RealCUGAN", ModelKind::kUpscaler, 3, npm_variants_};
  }

  ModelStore store(std::string mirror = "") const {
    if (mirror.empty()) mirror = server_->base_url("ok");
    return ModelStore({models_, mirror}, catalog_);
  }
  static const ModelListing* row(const std::vector<ModelListing>& rows, std::string_view name) {
    auto it = std::find_if(rows.begin(), rows.end(), [&](const ModelListing& r) { return r.name == name; });
    return it == rows.end() ? nullptr : &*it;
  }
  void touch(const fs::path& relative, size_t bytes = 300) {
    testing::write_bytes(models_ / relative, testing::random_bytes(bytes, 4));
  }

  TempFolder temp_;
  fs::path served_, models_;
  std::string sha_x2_, sha_x4_;
  std::unique_ptr<LocalModelServer> server_;
  CatalogFile x4_ncnn_[2], x4_pth_[1], x2_pth_[1], bad_pth_[1], npm_[2];
  CatalogVariant x4_variants_[2], x2_variants_[1], bad_variants_[1], npm_variants_[1];
  CatalogEntry catalog_[4];
};

TEST_F(ModelStoreTest, ListsInstalledAndDownloadableCatalogEntries) {
  std::vector<ModelListing> rows = store().list();
  ASSERT_EQ(rows.size(), 4u);
  for (const ModelListing& r : rows) EXPECT_FALSE(r.installed) << r.name;
  EXPECT_EQ(row(rows, "Test 2x")->url, server_->url("ok", "Test_x2.pth"));
  EXPECT_EQ(row(rows, "Test 2x")->files, std::vector<fs::path>{models_ / "ESRGAN" / "Test_x2.pth"});
  EXPECT_EQ(row(rows, "Test 4x+")->format, ModelFormat::kPyTorch);  // the downloadable variant
  EXPECT_TRUE(row(rows, "NpmOnly 3x")->url.empty());

  touch("RealESRGAN/test-x4.param");
  touch("RealESRGAN/test-x4.bin");
  rows = store().list();
  const ModelListing* x4 = row(rows, "Test 4x+");
  ASSERT_TRUE(x4->installed);
  EXPECT_EQ(x4->format, ModelFormat::kNcnn);
  EXPECT_EQ(x4->source, "npm:test@1");
  EXPECT_EQ(x4->files, (std::vector<fs::path>{models_ / "RealESRGAN/test-x4.param",
                                              models_ / "RealESRGAN/test-x4.bin"}));
  EXPECT_TRUE(x4->url.empty());
  EXPECT_EQ(rows.size(), 4u) << "catalog files must not reappear as user files";
}

TEST_F(ModelStoreTest, ListsUserDroppedFilesUnderTheirStems) {
  touch("ESRGAN/4x-MyModel.pth");
  touch("ESRGAN/Test_x2.pth");  // a catalog file: installs "Test 2x", not a user row
  touch("ESRGAN/.hidden.pth");
  touch("ESRGAN/notes.txt");
  touch("ESRGAN/model.pth.part");
  touch("RealESRGAN/sub/foo-x2.param");
  touch("RealESRGAN/sub/foo-x2.bin");
  touch("RealESRGAN/lonely.param");  // no .bin beside it
  touch("SwinIR/4x-MyModel.safetensors");
  touch("GFPGAN/face.pth");  // not an upscaler folder
  std::vector<ModelListing> rows = store().list();
  EXPECT_TRUE(row(rows, "Test 2x")->installed);
  std::vector<std::string> user;
  for (const ModelListing& r : rows) {
    if (r.user_file) user.push_back(r.name);
  }
  EXPECT_EQ(user, (std::vector<std::string>{"4x-MyModel", "SwinIR/4x-MyModel", "foo-x2"}));
  const ModelListing* mine = row(rows, "4x-MyModel");
  EXPECT_EQ(mine->native_scale, 4);
  EXPECT_EQ(mine->folder, "ESRGAN");
  EXPECT_TRUE(mine->installed);
  EXPECT_EQ(row(rows, "SwinIR/4x-MyModel")->format, ModelFormat::kSafetensors);
  const ModelListing* pair = row(rows, "foo-x2");
  EXPECT_EQ(pair->format, ModelFormat::kNcnn);
  EXPECT_EQ(pair->native_scale, 2);
  EXPECT_EQ(pair->files.size(), 2u);
  ASSERT_TRUE(store().find("foo-x2").is_ok());
}

TEST_F(ModelStoreTest, ListsUserOnnxFiles) {
  touch("ESRGAN/2x-Community.onnx");
  std::vector<ModelListing> rows = store().list();
  const ModelListing* onnx = row(rows, "2x-Community");
  ASSERT_NE(onnx, nullptr);
  EXPECT_TRUE(onnx->user_file);
  EXPECT_EQ(onnx->format, ModelFormat::kOnnx);
  EXPECT_EQ(onnx->native_scale, 2);
  ASSERT_EQ(onnx->files.size(), 1u);
  EXPECT_EQ(onnx->files[0].filename(), "2x-Community.onnx");
}

TEST_F(ModelStoreTest, ResolveDownloadsOnFirstUseOnly) {
  int progress_calls = 0;
  Result<ModelListing> got = store().resolve("Test 2x", Downloader(), [&](uint64_t, uint64_t) {
    ++progress_calls;
    return true;
  });
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TRUE(got->installed);
  fs::path file = models_ / "ESRGAN" / "Test_x2.pth";
  EXPECT_EQ(got->files, std::vector<fs::path>{file});
  EXPECT_EQ(testing::read_bytes(file), testing::read_bytes(served_ / "Test_x2.pth"));
  EXPECT_GT(progress_calls, 0);
  size_t requests = server_->log_lines().size();
  EXPECT_EQ(requests, 1u);
  ASSERT_TRUE(store().resolve("Test 2x", Downloader()).is_ok());
  EXPECT_EQ(server_->log_lines().size(), requests) << "an installed model is not fetched again";
}

TEST_F(ModelStoreTest, RefetchesAPointerSizedOrWrongSizedCatalogFile) {
  touch("ESRGAN/Test_x2.pth", 130);       // a Git LFS pointer left by another tool
  touch("RealESRGAN/Test_x4.pth", 5999);  // the catalog knows this one is 6000 bytes
  std::vector<ModelListing> rows = store().list();
  EXPECT_FALSE(row(rows, "Test 2x")->installed);
  EXPECT_FALSE(row(rows, "Test 4x+")->installed);
  Result<ModelListing> got = store().resolve("Test 2x", Downloader());
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(testing::read_bytes(models_ / "ESRGAN" / "Test_x2.pth"),
            testing::read_bytes(served_ / "Test_x2.pth"));
}

TEST_F(ModelStoreTest, FindsByCaseInsensitiveNameFileStemOrPath) {
  EXPECT_EQ(store().find("test 2X")->name, "Test 2x");
  EXPECT_EQ(store().find("Test_x4")->name, "Test 4x+");
  fs::path outside = temp_.path() / "elsewhere" / "2x_Custom.pth";
  testing::write_bytes(outside, {1, 2, 3});
  Result<ModelListing> by_path = store().find(outside.string());
  ASSERT_TRUE(by_path.is_ok()) << by_path.status().to_string();
  EXPECT_EQ(by_path->name, "2x_Custom");
  EXPECT_EQ(by_path->native_scale, 2);
  testing::write_bytes(temp_.path() / "elsewhere" / "net.param", {1});
  testing::write_bytes(temp_.path() / "elsewhere" / "net.bin", {1});
  Result<ModelListing> by_bin = store().find((temp_.path() / "elsewhere" / "net.bin").string());
  ASSERT_TRUE(by_bin.is_ok());
  EXPECT_EQ(by_bin->format, ModelFormat::kNcnn);
  EXPECT_EQ(by_bin->files.front().filename(), "net.param");
  testing::write_bytes(temp_.path() / "notes.txt", {1});
  EXPECT_EQ(store().find((temp_.path() / "notes.txt").string()).status().code(),
            StatusCode::kUnsupported);
  Status missing = store().find("No Such Model").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("No Such Model"), std::string::npos);
}

TEST_F(ModelStoreTest, ResolveRefusesNpmOnlyModelsWithASetupHint) {
  Status status = store().resolve("NpmOnly 3x", Downloader()).status();
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("scripts/setup.sh"), std::string::npos) << status.message();
  EXPECT_TRUE(server_->log_lines().empty());
}

TEST_F(ModelStoreTest, ResolveRefusesAWrongHashAndLeavesNoFile) {
  Status status = store().resolve("Bad 2x", Downloader()).status();
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_NE(status.message().find("Bad 2x"), std::string::npos) << status.message();
  EXPECT_FALSE(fs::exists(models_ / "ESRGAN" / "Bad_x2.pth"));
  EXPECT_FALSE(fs::exists(models_ / "ESRGAN" / "Bad_x2.pth.part"));
}

TEST_F(ModelStoreTest, ResolveOfflineNamesTheModelAndUrl) {
  std::string mirror = "http://127.0.0.1:" + std::to_string(testing::closed_port());
  Status status = store(mirror).resolve("Test 2x", Downloader()).status();
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("Test 2x"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(mirror + "/Test_x2.pth"), std::string::npos) << status.message();
}

TEST_F(ModelStoreTest, MirrorComesFromTheEnvironmentAndMayBeAFolder) {
  ::setenv("UPRES_MODEL_MIRROR", ("file://" + served_.string() + "/").c_str(), 1);
  ModelStoreOptions options = ModelStoreOptions::from_environment(models_);
  ::unsetenv("UPRES_MODEL_MIRROR");
  ModelStore from_folder(options, catalog_);
  EXPECT_EQ(from_folder.url_for(x4_pth_[0]), "file://" + served_.string() + "/Test_x4.pth");
  Result<ModelListing> got = from_folder.resolve("Test 4x+", Downloader());
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_EQ(got->format, ModelFormat::kPyTorch);
  EXPECT_TRUE(fs::exists(models_ / "RealESRGAN" / "Test_x4.pth"));
  EXPECT_EQ(ModelStore({models_, ""}, catalog_).url_for(x4_pth_[0]),
            "https://example.invalid/v1/Test_x4.pth");
}

}  // namespace
}  // namespace upres::store
