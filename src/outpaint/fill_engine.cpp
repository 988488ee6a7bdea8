#include "outpaint/fill_engine.h"

#include <string>

namespace upres::outpaint {

Result<FillEngine> parse_fill_engine(std::string_view name) {
  if (name == "patchmatch") return FillEngine::kPatchMatch;
  if (name == "lama") return FillEngine::kLama;
  if (name == "edge") return FillEngine::kEdge;
  if (name == "mirror") return FillEngine::kMirror;
  if (name == "color" || name == "colour") return FillEngine::kColor;
  return invalid_argument("fill: unknown fill \"" + std::string(name) +
                          "\" (expected patchmatch, lama, edge, mirror or color)");
}

std::string_view fill_engine_name(FillEngine engine) {
  switch (engine) {
    case FillEngine::kPatchMatch: return "patchmatch";
    case FillEngine::kLama: return "lama";
    case FillEngine::kEdge: return "edge";
    case FillEngine::kMirror: return "mirror";
    case FillEngine::kColor: return "color";
  }
  return "patchmatch";
}

std::string_view fill_engine_label(FillEngine engine) {
  switch (engine) {
    case FillEngine::kPatchMatch: return "PatchMatch";
    case FillEngine::kLama: return "LaMa";
    case FillEngine::kEdge: return "Edge";
    case FillEngine::kMirror: return "Mirror";
    case FillEngine::kColor: return "Color";
  }
  return "PatchMatch";
}

Result<std::array<float, 4>> parse_fill_color(std::string_view text) {
  if (!text.empty() && text[0] == '#') text.remove_prefix(1);
  auto bad = [&] {
    return invalid_argument("color: expected RRGGBB or RRGGBBAA in hex, e.g. 1e90ff, got \"" + std::string(text) + "\"");
  };
  if (text.size() != 6 && text.size() != 8) return bad();
  std::array<float, 4> rgba = {0, 0, 0, 1};
  for (size_t i = 0; i < text.size() / 2; ++i) {
    int value = 0;
    for (char ch : text.substr(i * 2, 2)) {
      int digit = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
      if (digit < 0) return bad();
      value = value * 16 + digit;
    }
    rgba[i] = value / 255.0f;
  }
  return rgba;
}

}  // namespace upres::outpaint
