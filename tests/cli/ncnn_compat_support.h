// Test support for the ncnn-vulkan command-line drop-in: runs upres under a tool's name as the
// wrappers do (an argument array, a child process, stdout and stderr kept apart), writes test
// pictures and compares results. Functions; thread-compatible.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "image/image_codec.h"

namespace upres::cli_testing {

namespace fs = std::filesystem;

struct ProcessRun {
  int exit_code = -1;  // -1 when killed by a signal (a hang ends by SIGALRM after 120 s)
  std::string out, err;
};

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `program` with argv[0] = `argv0` (default: the program path) and `args`, in `cwd`.
inline ProcessRun run_process(const fs::path& program, const std::vector<std::string>& args, const fs::path& cwd,
                              const std::string& argv0 = "") {
  const fs::path out_file = cwd / ".stdout.txt", err_file = cwd / ".stderr.txt";
  pid_t child = ::fork();
  if (child == 0) {
    ::alarm(120);  // never a hang: the test fails instead
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<std::string> words{argv0.empty() ? program.string() : argv0};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ProcessRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = read_text(out_file);
  run.err = read_text(err_file);
  fs::remove(out_file);
  fs::remove(err_file);
  return run;
}

// The progress values printed as whole "NN.NN%" lines, as the wrappers parse them.
inline std::vector<double> progress_values(const std::string& err) {
  std::vector<double> values;
  static const std::regex line(R"(^(\d{1,3}\.\d\d)%$)");
  std::istringstream lines(err);
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    if (std::regex_match(text, match, line)) values.push_back(std::stod(match[1]));
  }
  return values;
}

inline bool mentions_failure(const std::string& err) {
  return err.find("Error") != std::string::npos || err.find("failed") != std::string::npos;
}

// A deterministic picture with edges, gradients and texture (8-bit levels).
inline image::Image test_picture(int width, int height, int channels, int seed = 1) {
  image::Image picture(width, height, channels);
  unsigned state = 2166136261u + seed;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      state = state * 1664525u + 1013904223u;
      const int noise = static_cast<int>(state >> 27);  // 0..31
      const int levels[4] = {(x * 9 + noise) % 256, (y * 11 + (x / 6) * 40) % 256, ((x ^ y) * 7 + noise * 3) % 256,
                             (x * 255) / std::max(1, width - 1)};
      for (int c = 0; c < channels; ++c) picture.at(x, y, c) = levels[channels <= 2 && c == 1 ? 3 : c] / 255.0f;
    }
  return picture;
}

inline void write_picture(const image::Image& picture, const fs::path& path) {
  image::EncodeOptions options;
  options.format = *image::parse_image_format(path.extension().string().substr(1));
  options.quality = 100;
  auto bytes = image::encode_image(picture, options);
  if (!bytes.is_ok() || !write_file_atomic(path, *bytes).is_ok()) throw std::runtime_error("cannot write " + path.string());
}

// ncnn's reflect padding (abs() mirror), as the Real-ESRGAN host pads before its graph.
inline image::Image reflect_padded(const image::Image& in, int pad) {
  image::Image out(in.width() + 2 * pad, in.height() + 2 * pad, in.channels());
  auto mirror = [](int i, int n) { return (n - 1) - std::abs(std::abs(i) - (n - 1)); };
  for (int y = 0; y < out.height(); ++y)
    for (int x = 0; x < out.width(); ++x)
      for (int c = 0; c < in.channels(); ++c) out.at(x, y, c) = in.at(mirror(x - pad, in.width()), mirror(y - pad, in.height()), c);
  return out;
}

// PSNR (dB, peak 1) of the colour channels of `a` against `b` read at offset (dx, dy) in `b`.
inline double colour_psnr(const image::Image& a, const image::Image& b, int dx = 0, int dy = 0) {
  double mse = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x)
      for (int c = 0; c < 3; ++c) {
        const double d = a.at(x, y, c) - std::clamp(b.at(x + dx, y + dy, c), 0.0f, 1.0f);
        mse += d * d;
      }
  mse /= 3.0 * a.width() * a.height();
  return mse <= 1e-20 ? 200.0 : 10.0 * std::log10(1.0 / mse);
}

}  // namespace upres::cli_testing
