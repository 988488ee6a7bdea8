// Faults a batch of `upres upscale` must survive, run against the real binary: kill -9 in the
// middle of a batch, a full disk as the output folder, and a decompression bomb. In each case no
// output file is ever partial, and what finished is kept (the next run resumes with --skip-existing).
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "image/image_codec.h"
#include "test_folder.h"
#include "test_pictures.h"
#include "upres_command.h"

namespace upres {
namespace {

namespace fs = std::filesystem;
using cli_testing::quoted;
using cli_testing::run_upres;

// Noise: PNG cannot compress it, so each 4x result is megabytes and takes a while to write.
void write_noise_png(const fs::path& path, int side, unsigned seed) {
  std::mt19937 random(seed);
  cli_testing::write_png_file(path, cli_testing::picture_from(side, side, 3, [&](int, int, int) {
    return static_cast<float>(random() % 256) / 255.0f;
  }));
}

// A child process running `upres <arguments>` with stdout and stderr in `log`.
struct Child {
  pid_t pid = -1;
};

Child start_upres(const std::vector<std::string>& arguments, const fs::path& log) {
  Child child;
  child.pid = ::fork();
  if (child.pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (out == nullptr) ::_exit(126);
    ::dup2(STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(UPRES_BINARY)};
    for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    ::execv(UPRES_BINARY, argv.data());
    ::_exit(127);
  }
  return child;
}

// Waits for the child; its exit status and peak resident memory (wait4's ru_maxrss, in bytes). The
// peak also counts the pages the child shared with this test process before exec: an upper bound.
struct Finished {
  int status = -1;
  int64_t peak_rss_bytes = 0;
};

Finished wait_for(const Child& child) {
  Finished finished;
  struct rusage usage {};
  if (::wait4(child.pid, &finished.status, 0, &usage) == child.pid)
    finished.peak_rss_bytes = int64_t{usage.ru_maxrss} * 1024;
  return finished;
}

std::string read_text(const fs::path& path) {
  auto bytes = read_file_bytes(path);
  return bytes.is_ok() ? std::string(bytes->begin(), bytes->end()) : "";
}

std::vector<fs::path> visible_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (!entry.path().filename().string().starts_with(".")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> temporaries(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().starts_with(".")) files.push_back(entry.path());
  return files;
}

// Every visible output decodes whole to the expected size: none is partial.
void expect_all_complete(const fs::path& dir, int side) {
  for (const fs::path& file : visible_files(dir)) {
    auto size = image::read_image(file);
    ASSERT_TRUE(size.is_ok()) << file << " is partial: " << size.status().to_string();
    EXPECT_EQ(size->width(), side) << file;
    EXPECT_EQ(size->height(), side) << file;
  }
}

TEST(UpscaleFaultTest, KillDuringABatchLeavesNoPartialFileAndTheNextRunResumes) {
  upres::testing::TestFolder dir;
  const fs::path in = dir.path() / "in", out = dir.path() / "out";
  fs::create_directories(in);
  constexpr int kPictures = 4, kSide = 320;
  for (int i = 0; i < kPictures; ++i) write_noise_png(in / ("p" + std::to_string(i) + ".png"), kSide, i);
  const std::vector<std::string> args{"upscale", in.string(), "--upscaler", "Lanczos", "--scale", "4",
                                      "-o", out.string()};

  // Killed once the first result is there: mid-batch, most likely mid-write of the second.
  Child child = start_upres(args, dir.path() / "first.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (visible_files(out).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
  Finished killed = wait_for(child);
  ASSERT_TRUE(WIFSIGNALED(killed.status)) << "the batch ended before the kill: " << read_text(dir.path() / "first.log");

  const std::vector<fs::path> survivors = visible_files(out);
  ASSERT_GE(survivors.size(), 1u);
  ASSERT_LT(survivors.size(), static_cast<size_t>(kPictures)) << "the kill did not land mid-batch";
  expect_all_complete(out, 4 * kSide);
  std::map<fs::path, ino_t> inodes;
  for (const fs::path& file : survivors) {
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    inodes[file] = info.st_ino;
  }

  auto resumed = run_upres("upscale " + quoted(in) + " --upscaler Lanczos --scale 4 --skip-existing -o " + quoted(out));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(std::to_string(survivors.size()) + " skipped"), std::string::npos) << resumed.output;
  // One result per picture, no "-1" duplicates, the killed run's temporary removed.
  std::vector<fs::path> expected;
  for (int i = 0; i < kPictures; ++i) expected.push_back(out / ("p" + std::to_string(i) + ".png"));
  EXPECT_EQ(visible_files(out), expected);
  EXPECT_EQ(temporaries(out), std::vector<fs::path>{});
  expect_all_complete(out, 4 * kSide);
  for (const auto& [file, inode] : inodes) {  // what finished before the kill is kept, not redone
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_ino, inode) << file << " was rewritten";
  }
}

// A small tmpfs as the output folder; unmounted (and removed) with the fixture.
class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs as a full disk";
    fs::create_directories(disk_);
    if (::mount("tmpfs", disk_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0755") != 0)
      GTEST_SKIP() << "needs root to mount a tmpfs as a full disk: mount: " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_ && ::umount2(disk_.c_str(), 0) != 0) ::umount2(disk_.c_str(), MNT_DETACH);
  }

  upres::testing::TestFolder dir_;
  fs::path disk_ = dir_.path() / "disk";
  bool mounted_ = false;
};

TEST_F(FullDiskTest, EachFileThatDoesNotFitGetsAClearErrorAndNoPartialFile) {
  const fs::path in = dir_.path() / "in";
  fs::create_directories(in);
  // 4x of 400x400 noise is about 3 MB of PNG: none fits in 2 MB.
  for (int i = 0; i < 3; ++i) write_noise_png(in / ("big" + std::to_string(i) + ".png"), 400, 10 + i);
  auto run = run_upres("upscale " + quoted(in) + " --upscaler Lanczos --scale 4 -o " + quoted(disk_));
  EXPECT_NE(run.exit_code, 0) << run.output;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "big" + std::to_string(i) + ".png";
    const size_t at = run.output.find((disk_ / name).string());
    ASSERT_NE(at, std::string::npos) << "no error names " << name << ":\n" << run.output;
    const size_t line_end = run.output.find('\n', at);
    EXPECT_NE(run.output.substr(at, line_end - at).find("No space left on device"), std::string::npos)
        << run.output;
  }
  EXPECT_NE(run.output.find("3 failed"), std::string::npos) << run.output;
  EXPECT_EQ(visible_files(disk_), std::vector<fs::path>{});
  EXPECT_EQ(temporaries(disk_), std::vector<fs::path>{});
}

TEST_F(FullDiskTest, WhatFitsIsSavedWholeAndTheRestFailsCleanly) {
  const fs::path in = dir_.path() / "in";
  fs::create_directories(in);
  write_noise_png(in / "a_small.png", 100, 1);  // 4x: about 200 KB, fits
  write_noise_png(in / "b_big.png", 400, 2);    // about 3 MB, does not
  auto run = run_upres("upscale " + quoted(in) + " --upscaler Lanczos --scale 4 -o " + quoted(disk_));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("1 succeeded, 1 failed"), std::string::npos) << run.output;
  EXPECT_EQ(visible_files(disk_), std::vector<fs::path>{disk_ / "a_small.png"});
  EXPECT_EQ(temporaries(disk_), std::vector<fs::path>{});
  expect_all_complete(disk_, 400);
}

// A 1-bit grey PNG of width x height pixels, all black: a few kilobytes that decode to gigabytes.
std::vector<uint8_t> bomb_png(uint32_t width, uint32_t height) {
  auto be32 = [](std::vector<uint8_t>& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
  };
  auto chunk = [&](std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& data) {
    be32(out, static_cast<uint32_t>(data.size()));
    std::vector<uint8_t> body(type, type + 4);
    body.insert(body.end(), data.begin(), data.end());
    out.insert(out.end(), body.begin(), body.end());
    be32(out, static_cast<uint32_t>(::crc32(0, body.data(), static_cast<uInt>(body.size()))));
  };
  std::vector<uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> header;
  be32(header, width);
  be32(header, height);
  header.insert(header.end(), {1, 0, 0, 0, 0});  // bit depth 1, greyscale, deflate, no filter, no interlace
  chunk(png, "IHDR", header);
  // Each row: filter byte 0 and width/8 zero bytes; deflated one row at a time.
  const std::vector<uint8_t> row((width + 7) / 8 + 1, 0);
  z_stream stream{};
  deflateInit(&stream, 9);
  std::vector<uint8_t> compressed;
  uint8_t buffer[1 << 16];
  for (uint32_t y = 0; y < height; ++y) {
    stream.next_in = const_cast<uint8_t*>(row.data());
    stream.avail_in = static_cast<uInt>(row.size());
    const int flush = y + 1 == height ? Z_FINISH : Z_NO_FLUSH;
    do {
      stream.next_out = buffer;
      stream.avail_out = sizeof buffer;
      deflate(&stream, flush);
      compressed.insert(compressed.end(), buffer, buffer + (sizeof buffer - stream.avail_out));
    } while (stream.avail_out == 0);
  }
  deflateEnd(&stream);
  chunk(png, "IDAT", compressed);
  chunk(png, "IEND", {});
  return png;
}

TEST(UpscaleFaultTest, APictureOverThePixelLimitIsRefusedBeforeItIsDecoded) {
  upres::testing::TestFolder dir;
  constexpr uint32_t kSide = 20000;  // 400 Mpixels, over the default limit of 16383 x 16383
  const fs::path bomb = dir.path() / "bomb.png";
  ASSERT_TRUE(write_file_atomic(bomb, bomb_png(kSide, kSide)).is_ok());
  ASSERT_LT(fs::file_size(bomb), 2u << 20);
  const fs::path out = dir.path() / "out";

  Child child = start_upres({"upscale", bomb.string(), "--upscaler", "Lanczos", "--scale", "2", "-o", out.string()},
                            dir.path() / "run.log");
  Finished finished = wait_for(child);
  const std::string log = read_text(dir.path() / "run.log");
  ASSERT_TRUE(WIFEXITED(finished.status)) << log;
  EXPECT_NE(WEXITSTATUS(finished.status), 0) << log;
  EXPECT_NE(log.find("20000x20000"), std::string::npos) << log;
  EXPECT_NE(log.find("over the limit"), std::string::npos) << log;
  EXPECT_EQ(visible_files(out), std::vector<fs::path>{});
  // Decoded, even as 8-bit RGB, it would be 1.2 GB; the refusal must cost a small fraction of that
  // (the process itself, libraries loaded, is about 100 MB).
  const int64_t decoded_bytes = int64_t{kSide} * kSide * 3;
  EXPECT_LT(finished.peak_rss_bytes, decoded_bytes / 8)
      << "peak RSS " << (finished.peak_rss_bytes >> 20) << " MiB while refusing a picture of "
      << (decoded_bytes >> 20) << " MiB decoded";
  std::printf("pixel-limit refusal: peak RSS %lld MiB (decoded picture %lld MiB)\n",
              static_cast<long long>(finished.peak_rss_bytes >> 20), static_cast<long long>(decoded_bytes >> 20));
}

}  // namespace
}  // namespace upres
