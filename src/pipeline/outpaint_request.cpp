#include "pipeline/outpaint_request.h"

#include <charconv>
#include <string>

namespace upres::pipeline {
namespace {

constexpr OutpaintOption kOptions[] = {
    {"outpaint_aspect", "--aspect", "grow the short side to this aspect ratio, e.g. 16:9, 9:16, 21:9", "", false},
    {"outpaint_to", "--to", "grow the canvas to exactly WIDTHxHEIGHT (not smaller than the picture)", "", false},
    {"outpaint_expand", "--expand", "pixels to add per side: LEFT,TOP,RIGHT,BOTTOM (or one number for all)", "", false},
    {"outpaint_directions", "--directions",
     "sides --aspect and --to may grow: a comma list of left, right, up, down (default all; growth is centred)",
     "left,right,up,down", false},
    {"outpaint_fill", "--fill", "how the new border is made: patchmatch, edge, mirror, color (lama: not yet)",
     "patchmatch", true},
    {"outpaint_mask_blur", "--mask-blur", "pixels, on the new side, over which the fill blends into the edge", "8", true},
    {"outpaint_seed", "--seed", "PatchMatch's random seed: equal seeds give equal pictures", "0", true},
    {"outpaint_color", "--color", "--fill color's colour, RRGGBB or RRGGBBAA (default: the mean of the edge)", "", true},
};

Status with_flag(const OutpaintOption& option, Status status) {
  if (status.is_ok()) return status;
  std::string message = status.message();
  // The parsers name the concept ("aspect: ..."); the user typed a flag.
  const size_t colon = message.find(": ");
  if (colon != std::string::npos && colon < 12) message = message.substr(colon + 2);
  return invalid_argument(std::string(option.cli_flag) + ": " + message);
}

Result<long long> parse_integer(const OutpaintOption& option, std::string_view text, long long min, long long max) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty())
    return invalid_argument(std::string(option.cli_flag) + ": expected an integer, got \"" + std::string(text) + "\"");
  if (value < min || value > max)
    return invalid_argument(std::string(option.cli_flag) + ": " + std::string(text) + " is out of range [" +
                            std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

}  // namespace

std::span<const OutpaintOption> outpaint_options() { return kOptions; }

Status set_outpaint_option(OutpaintRequest& request, const OutpaintOption& option, std::string_view text) {
  const std::string_view name = option.json_name;
  outpaint::CanvasRequest& canvas = request.canvas;
  if (name == "outpaint_aspect" || name == "outpaint_to" || name == "outpaint_expand") {
    ++request.canvas_asks;
    if (name == "outpaint_aspect") return with_flag(option, outpaint::parse_aspect(text, canvas));
    if (name == "outpaint_to") return with_flag(option, outpaint::parse_size(text, canvas));
    return with_flag(option, outpaint::parse_expand(text, canvas));
  }
  if (name == "outpaint_directions") {
    request.has_directions = true;
    return with_flag(option, outpaint::parse_directions(text, canvas));
  }
  if (name == "outpaint_fill") {
    auto engine = outpaint::parse_fill_engine(text);
    if (!engine.is_ok()) return with_flag(option, engine.status());
    request.fill.engine = *engine;
    return Status::ok();
  }
  if (name == "outpaint_mask_blur") {
    UPRES_ASSIGN_OR_RETURN(long long px, parse_integer(option, text, 0, 256));
    request.fill.mask_blur_px = static_cast<int>(px);
    return Status::ok();
  }
  if (name == "outpaint_seed") {
    UPRES_ASSIGN_OR_RETURN(long long seed, parse_integer(option, text, 0, (1LL << 53)));
    request.fill.seed = static_cast<uint64_t>(seed);
    return Status::ok();
  }
  if (name == "outpaint_color") {
    auto color = outpaint::parse_fill_color(text);
    if (!color.is_ok()) return with_flag(option, color.status());
    request.fill.color = *color;
    return Status::ok();
  }
  return internal_error("outpaint option without a field: " + std::string(name));
}

Status OutpaintRequest::validate() const {
  if (canvas_asks == 0)
    return invalid_argument("say how to grow the canvas: --aspect A:B, --to WIDTHxHEIGHT or --expand L,T,R,B");
  if (canvas_asks > 1) return invalid_argument("give only one of --aspect, --to and --expand");
  if (has_directions && canvas.mode == outpaint::CanvasRequest::Mode::kExpand)
    return invalid_argument("--directions: --expand already says each side's pixels; use it with --aspect or --to");
  if (canvas.directions == 0) return invalid_argument("--directions: name at least one side");
  if (fill.color && fill.engine != outpaint::FillEngine::kColor)
    return invalid_argument("--color: only --fill color uses a colour");
  return Status::ok();
}

}  // namespace upres::pipeline
