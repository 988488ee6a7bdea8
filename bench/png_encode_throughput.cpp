// png_encode_throughput: issue 13 item 3. One big picture (a repository photo resized with Lanczos
// to SIZE x SIZE, RGB) encoded as PNG by libvips' pngsave_buffer at compression 6 (how upres wrote
// PNGs before: libvips' default, unfiltered rows, one thread) and by upres's encode_png (adaptive
// filters, bands deflated on every core, and on one thread) at each zlib level asked for, 8-bit
// and 16-bit, in one process.
// Usage: png_encode_throughput [SIZE_PX=4096] [RUNS=3] [LEVELS=6,4,1] [PHOTO=tests/data/images/set5/baby.png]
// Prints a markdown table: best and median seconds, the speed-up over libvips, sizes.
#include <vips/vips8>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "image/image_codec.h"
#include "image/png_encoder.h"
#include "image/resample.h"
#include "image/vips_runtime.h"

namespace {

using namespace upres::image;

struct Timing {
  double best_s = 0;
  double median_s = 0;
  size_t bytes = 0;
};

// Runs `encode` `runs` times (after one warm-up) and keeps the encoded size of the last run.
Timing time_runs(int runs, const std::function<size_t()>& encode) {
  std::vector<double> seconds;
  size_t bytes = encode();
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    bytes = encode();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds.front(), seconds[seconds.size() / 2], bytes};
}

template <typename T>
std::vector<T> quantize(const Image& image, float max_value) {
  std::vector<T> out(image.sample_count());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<T>(std::clamp(image.pixels()[i], 0.0f, 1.0f) * max_value + 0.5f);
  return out;
}

// libvips' pngsave_buffer exactly as image_encode.cpp called it before upres's writer.
template <typename T>
size_t libvips_png_bytes(std::vector<T>& samples, const Image& image) {
  const bool deep = sizeof(T) == 2;
  vips::VImage vimage = vips::VImage::new_from_memory(samples.data(), samples.size() * sizeof(T), image.width(),
                                                      image.height(), image.channels(),
                                                      deep ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR);
  vimage = vimage.copy(vips::VImage::option()->set(
      "interpretation", deep ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB));
  VipsBlob* blob =
      vimage.pngsave_buffer(vips::VImage::option()->set("bitdepth", deep ? 16 : 8)->set("compression", 6));
  size_t length = 0;
  vips_blob_get(blob, &length);
  vips_area_unref(reinterpret_cast<VipsArea*>(blob));
  return length;
}

template <typename T>
size_t upres_png_bytes(const std::vector<T>& samples, const Image& image, int threads, int level) {
  auto png = encode_png(std::span<const T>(samples), {image.width(), image.height(), image.channels()}, {},
                        {.threads = threads, .compression_level = level});
  if (!png.is_ok()) {
    std::fprintf(stderr, "%s\n", png.status().to_string().c_str());
    std::exit(1);
  }
  return png->size();
}

void print_row(const char* depth, const std::string& encoder, const Timing& t, const Timing& baseline) {
  std::printf("| %s | %s | %.3f | %.3f | %.2fx | %.2f | %.3f |\n", depth, encoder.c_str(), t.best_s, t.median_s,
              baseline.best_s / t.best_s, t.bytes / 1e6, static_cast<double>(t.bytes) / baseline.bytes);
  std::fflush(stdout);
}

template <typename T>
void compare(const char* depth, const Image& image, int runs, const std::vector<int>& levels) {
  std::vector<T> samples = quantize<T>(image, sizeof(T) == 1 ? 255.0f : 65535.0f);
  const Timing libvips = time_runs(runs, [&] { return libvips_png_bytes(samples, image); });
  print_row(depth, "libvips pngsave_buffer, compression 6", libvips, libvips);
  for (int level : levels)
    for (int threads : {0, 1}) {
      const Timing upres = time_runs(runs, [&] { return upres_png_bytes(samples, image, threads, level); });
      print_row(depth, "upres encode_png, level " + std::to_string(level) + (threads == 0 ? ", all cores" : ", 1 thread"),
                upres, libvips);
    }
}

std::vector<int> parse_levels(const std::string& list) {
  std::vector<int> levels;
  for (size_t at = 0; at < list.size();) {
    const size_t comma = std::min(list.find(',', at), list.size());
    levels.push_back(std::atoi(list.substr(at, comma - at).c_str()));
    at = comma + 1;
  }
  return levels;
}

}  // namespace

int main(int argc, char** argv) {
  const int size_px = argc > 1 ? std::atoi(argv[1]) : 4096;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  const std::vector<int> levels = parse_levels(argc > 3 ? argv[3] : "6,4,1");
  const std::string photo = argc > 4 ? argv[4] : std::string(UPRES_SOURCE_DIR) + "/tests/data/images/set5/baby.png";
  if (!ensure_vips_started().is_ok() || size_px < 1) return 2;
  upres::Result<Image> source = read_image(photo);
  if (!source.is_ok()) {
    std::fprintf(stderr, "%s\n", source.status().to_string().c_str());
    return 1;
  }
  const Image image = resize(*source, size_px, size_px, ResampleFilter::kLanczos);
  std::printf("# %s resized by Lanczos to %dx%dx%d; %u hardware threads; best and median of %d runs after a "
              "warm-up\n", photo.c_str(), image.width(), image.height(), image.channels(),
              std::thread::hardware_concurrency(), runs);
  std::printf("| depth | encoder | best s | median s | speed-up vs libvips | MB | size vs libvips |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  compare<uint8_t>("8-bit", image, runs, levels);
  compare<uint16_t>("16-bit", image, runs, levels);
  return 0;
}
