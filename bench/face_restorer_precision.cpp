// face_restorer_precision: bf16 against fp32 for a GFPGAN or CodeFormer weight file on real photos,
// to decide the restorer's precision-auto flag (FaceRestorer::is_faithful_in_bf16). Per photo the
// detector (fp32) finds the faces; per face the aligned 512 crop is restored in fp32 and in bf16
// by two instances of the restorer, one per precision (a restorer recompiles when its precision
// changes), each warmed up once, then timed, and compared (PSNR on [0, 1]); then the whole picture
// is restored and pasted back in each precision (square mask, no ParseNet) and compared.
// Usage: face_restorer_precision MODEL.pth DETECTOR.pth [--weight W] PHOTO...
// Prints one line per face and per picture; the restored face's standard deviation is printed
// beside its PSNR so a flat (saturated) output, which would compare equal trivially, shows.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "image/image_codec.h"
#include "image/warp_affine.h"
#include "models/face_restorer.h"
#include "pipeline/face_alignment.h"
#include "pipeline/face_detector.h"
#include "pipeline/face_restoration.h"

namespace {

using namespace upres;

double psnr(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::clamp(a[i], 0.0f, 1.0f) - std::clamp(b[i], 0.0f, 1.0f);
    sum += d * d;
  }
  const double mse = sum / static_cast<double>(a.size());
  return mse == 0 ? INFINITY : 10 * std::log10(1.0 / mse);
}

double stddev(const std::vector<float>& v) {
  double mean = 0, sq = 0;
  for (float x : v) mean += std::clamp(x, 0.0f, 1.0f);
  mean /= static_cast<double>(v.size());
  for (float x : v) sq += (std::clamp(x, 0.0f, 1.0f) - mean) * (std::clamp(x, 0.0f, 1.0f) - mean);
  return std::sqrt(sq / static_cast<double>(v.size()));
}

std::vector<float> pixels_of(const image::Image& picture) {
  std::vector<float> out;
  for (int y = 0; y < picture.height(); ++y)
    for (int x = 0; x < picture.width(); ++x)
      for (int c = 0; c < picture.color_channels(); ++c) out.push_back(picture.at(x, y, c));
  return out;
}

Result<engine::Tensor> planar_rgb(const image::Image& crop) {
  const int size = crop.width();
  std::vector<float> planar(static_cast<size_t>(3) * size * size);
  const int colors = crop.color_channels();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        planar[(static_cast<size_t>(c) * size + y) * size + x] = crop.at(x, y, colors == 1 ? 0 : c);
  return engine::Tensor::from_f32(planar, {1, 3, size, size});
}

// Seconds of one restore() (after the caller's warm-up) and its output.
Result<std::pair<double, std::vector<float>>> timed_restore(models::FaceRestorer& restorer,
                                                           const engine::Tensor& face,
                                                           const models::FaceRestoreOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  UPRES_ASSIGN_OR_RETURN(engine::Tensor out, restorer.restore(face, options));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::make_pair(seconds, out.to_f32());
}

int fail(const Status& status) {
  std::fprintf(stderr, "%s\n", status.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODEL.pth DETECTOR.pth [--weight W] PHOTO...\n", argv[0]);
    return 2;
  }
  models::FaceRestoreOptions fp32, bf16;
  std::vector<std::string> photos;
  for (int i = 3; i < argc; ++i) {
    if (std::string(argv[i]) == "--weight" && i + 1 < argc) {
      fp32.fidelity_weight = bf16.fidelity_weight = static_cast<float>(std::atof(argv[++i]));
    } else {
      photos.push_back(argv[i]);
    }
  }
  bf16.compute_dtype = DType::kBF16;
  auto restorer = models::load_face_restorer(argv[1]);
  if (!restorer.is_ok()) return fail(restorer.status());
  auto bf16_restorer = models::load_face_restorer(argv[1]);
  if (!bf16_restorer.is_ok()) return fail(bf16_restorer.status());
  auto detector = pipeline::FaceDetector::load(argv[2]);
  if (!detector.is_ok()) return fail(detector.status());
  const int size = (*restorer)->face_size();
  const pipeline::FiveLandmarks target = pipeline::ffhq_template(size);
  const std::vector<float> border = {132 / 255.0f, 133 / 255.0f, 135 / 255.0f};
  bool warmed_up = false;
  double fp32_seconds = 0, bf16_seconds = 0, worst_face_psnr = INFINITY;
  int face_count = 0;
  for (const std::string& photo : photos) {
    auto picture = image::read_image(photo);
    if (!picture.is_ok()) return fail(picture.status());
    auto faces = (*detector)->detect(*picture);
    if (!faces.is_ok()) return fail(faces.status());
    for (size_t i = 0; i < faces->size(); ++i) {
      const pipeline::DetectedFace& face = (*faces)[i];
      auto align = pipeline::estimate_similarity(face.landmarks, target);
      if (!align.is_ok()) return fail(align.status());
      auto crop = image::warp_affine(*picture, *align, size, size, border);
      if (!crop.is_ok()) return fail(crop.status());
      auto input = planar_rgb(*crop);
      if (!input.is_ok()) return fail(input.status());
      if (!warmed_up) {  // compile both executables before timing
        auto warm = (*restorer)->restore(*input, fp32);
        if (!warm.is_ok()) return fail(warm.status());
        warm = (*bf16_restorer)->restore(*input, bf16);
        if (!warm.is_ok()) return fail(warm.status());
        warmed_up = true;
      }
      auto a = timed_restore(**restorer, *input, fp32);
      if (!a.is_ok()) return fail(a.status());
      auto b = timed_restore(**bf16_restorer, *input, bf16);
      if (!b.is_ok()) return fail(b.status());
      const double face_psnr = psnr(a->second, b->second);
      worst_face_psnr = std::min(worst_face_psnr, face_psnr);
      fp32_seconds += a->first;
      bf16_seconds += b->first;
      ++face_count;
      std::printf("%s face %zu (box %.0fx%.0f): PSNR bf16 vs fp32 %.2f dB, fp32 output stddev %.3f, "
                  "fp32 %.3f s, bf16 %.3f s\n",
                  photo.c_str(), i, face.x1 - face.x0, face.y1 - face.y0, face_psnr,
                  stddev(a->second), a->first, b->first);
    }
    pipeline::FaceRestorationOptions whole_fp32, whole_bf16;
    whole_fp32.restore = fp32;
    whole_bf16.restore = bf16;
    pipeline::Progress progress;
    auto x = pipeline::restore_faces(*picture, **detector, **restorer, whole_fp32, progress);
    if (!x.is_ok()) return fail(x.status());
    auto y = pipeline::restore_faces(*picture, **detector, **bf16_restorer, whole_bf16, progress);
    if (!y.is_ok()) return fail(y.status());
    std::printf("%s whole picture (%dx%d, %d faces restored): PSNR bf16 vs fp32 %.2f dB\n", photo.c_str(),
                picture->width(), picture->height(), x->face_count,
                psnr(pixels_of(x->picture), pixels_of(y->picture)));
  }
  if (face_count > 0) {
    std::printf("%s: %d faces, worst face PSNR %.2f dB, fp32 %.3f s/face, bf16 %.3f s/face, bf16/fp32 %.2f\n",
                (*restorer)->architecture().c_str(), face_count, worst_face_psnr, fp32_seconds / face_count,
                bf16_seconds / face_count, bf16_seconds / fp32_seconds);
  }
  return 0;
}
