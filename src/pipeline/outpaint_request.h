// OutpaintRequest: everything one outpaint run is asked to do (the canvas and the fill), and the
// table of its user-facing options, declared once: the CLI flags (and later the JSON fields and the
// web form) are derived from it. Plain value types; the table is immutable.
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "outpaint/canvas_plan.h"
#include "outpaint/fill_engine.h"

namespace upres::pipeline {

struct OutpaintRequest {
  outpaint::CanvasRequest canvas;
  outpaint::FillSettings fill;
  int canvas_asks = 0;        // how many of aspect / to / expand were given: exactly one is valid
  bool has_directions = false;

  // InvalidArgument naming the option: no canvas ask or more than one, directions with expand.
  Status validate() const;
};

struct OutpaintOption {
  std::string_view json_name;     // e.g. "outpaint_aspect"
  std::string_view cli_flag;      // e.g. "--aspect"
  std::string_view help;
  std::string_view default_text;  // shown in --help; empty: no default
  bool is_fill_option;            // also an option of `upscale --fit outpaint`
};

// Every option, in the order the help lists them.
std::span<const OutpaintOption> outpaint_options();

// Parses `text` into the option's field of `request`. InvalidArgument naming the flag otherwise.
Status set_outpaint_option(OutpaintRequest& request, const OutpaintOption& option, std::string_view text);

}  // namespace upres::pipeline
