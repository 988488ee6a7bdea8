// FillEngine: how the new border of an outpaint is synthesised, and the settings every engine
// shares. Adding an engine = one enumerator here, one BorderFill implementation, one line in the
// factory that owns it (outpaint/border_fill.h for built-in fills, pipeline/ for model-based ones).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace upres::outpaint {

enum class FillEngine {
  kPatchMatch,  // patch-based synthesis from the picture itself (no weights); the default
  kLama,        // the big-lama network (needs weights; lama_fill.h, bound in pipeline/)
  kEdge,        // the outermost row/column repeated
  kMirror,      // the picture reflected at its edges
  kColor,       // one flat colour, faded in from the edge across the mask blur
};

// "patchmatch", "lama", "edge", "mirror", "color" (also "colour"). InvalidArgument naming the
// known engines otherwise.
Result<FillEngine> parse_fill_engine(std::string_view name);
// The command-line name: "patchmatch", ...
std::string_view fill_engine_name(FillEngine engine);
// The infotext label: "PatchMatch", "LaMa", "Edge", "Mirror", "Color".
std::string_view fill_engine_label(FillEngine engine);

struct FillSettings {
  FillEngine engine = FillEngine::kPatchMatch;
  int mask_blur_px = 8;  // width of the band, on the new side, over which the fill is blended into the edge
  uint64_t seed = 0;     // PatchMatch's random search; equal seeds give equal pictures
  // kColor: RGBA in [0, 1] (grey pictures use the mean of RGB); unset = the mean of the picture's edge.
  std::optional<std::array<float, 4>> color;
};

// "RRGGBB" or "RRGGBBAA", with or without '#'. InvalidArgument otherwise.
Result<std::array<float, 4>> parse_fill_color(std::string_view text);

}  // namespace upres::outpaint
