#include "outpaint/patch_match_fill.h"

#include <algorithm>
#include <vector>

#include "outpaint/classic_fills.h"
#include "outpaint/known_pyramid.h"
#include "outpaint/nearest_neighbor_field.h"
#include "outpaint/onion_fill.h"
#include "outpaint/patch_vote.h"
#include "outpaint/seam_blend.h"

namespace upres::outpaint {
namespace {

constexpr int kPatchRadius = 3;      // 7x7 patches
constexpr int kCoarsestKnownPx = 32;  // stop halving before the known side drops below this
constexpr int kPasses = 2;           // PatchMatch passes (forward, backward) per EM iteration

// EM iterations at a level: many where it is cheap and the structure forms, few at the finest (one
// on big canvases, where the upsampled field is already close and each iteration costs most).
int em_iterations(int level, int coarsest, int64_t canvas_pixels) {
  if (level == 0 && canvas_pixels > (4 << 20)) return 1;
  return std::max(2, 10 - 2 * (coarsest - level));
}

}  // namespace

Status PatchMatchFill::fill(image::Image& canvas, const Rect& original, const FillContext& context) const {
  const int radius = std::min(kPatchRadius, (std::min(original.width, original.height) - 1) / 2);
  if (radius < 1) return MirrorFill().fill(canvas, original, context);
  // levels[0] is the canvas itself; each further one halves it.
  std::vector<image::Image> coarse;
  std::vector<Rect> known = {original};
  while (true) {
    const Rect half = half_rect(known.back());
    if (std::min(half.width, half.height) < std::max(kCoarsestKnownPx, 2 * radius + 1)) break;
    coarse.push_back(half_canvas(coarse.empty() ? canvas : coarse.back(), known.back(), context.threads));
    known.push_back(half);
  }
  const int coarsest = static_cast<int>(known.size()) - 1;
  auto level_canvas = [&](int level) -> image::Image& { return level == 0 ? canvas : coarse[level - 1]; };
  const int64_t pixels = int64_t{canvas.width()} * canvas.height();
  long total = 0, done = 0;
  for (int level = 0; level <= coarsest; ++level) total += em_iterations(level, coarsest, pixels);

  NearestNeighborField field({&level_canvas(coarsest), known[coarsest], radius});
  for (int level = coarsest; level >= 0; --level) {
    image::Image& image = level_canvas(level);
    const PatchSpace space{&image, known[level], radius};
    const uint64_t level_seed = seed_ * 0x100000001b3ull + static_cast<uint64_t>(level) * 0x9e3779b1ull;
    if (level == coarsest) {
      field.randomize(space, level_seed, context.threads);
      onion_fill(space, image, field, level_seed);
    } else {
      NearestNeighborField finer(space);
      finer.upsample(field, space);
      field = std::move(finer);
      vote(space, image, field, context.threads);
      coarse.resize(level);  // the level above is no longer needed
    }
    const int iterations = em_iterations(level, coarsest, pixels);
    for (int em = 0; em < iterations; ++em) {
      if (context.is_cancelled()) return cancelled("outpaint interrupted");
      for (int pass = 0; pass < kPasses; ++pass)
        field.search(space, pass, pass == 0, level_seed + static_cast<uint64_t>(em * kPasses + pass), context.threads);
      vote(space, image, field, context.threads);
      if (context.on_progress) context.on_progress(++done, total);
    }
  }
  blend_seam(canvas, original, blend_px_, context.threads);
  return Status::ok();
}

}  // namespace upres::outpaint
