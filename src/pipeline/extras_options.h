// The user-facing options of an Extras run, declared once. The CLI flags, the JSON fields of the
// HTTP API, the web form and range validation are all derived from this table.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "pipeline/extras_request.h"

namespace upres::pipeline {

enum class OptionKind { kNumber, kInteger, kBool, kUpscalerName, kResizeMode };

struct ExtrasOption {
  std::string_view json_name;  // field of /sdapi/v1/extra-single-image, e.g. "upscaling_resize"
  std::string_view cli_flag;   // e.g. "--scale"; empty when the CLI spells it another way
  std::string_view label;      // the web form's label, as the reference UI words it
  std::string_view help;
  OptionKind kind;
  double min_value = 0;        // kNumber / kInteger
  double max_value = 0;
  double step = 0;             // the web form's slider step
  double cli_default = 0;      // default of the CLI and the web page (numbers, bools as 0/1)
  double api_default = 0;      // default of the /sdapi/v1 API when the field is absent
  std::string_view cli_default_text;  // kUpscalerName
  std::string_view api_default_text;
  double slider_max = 0;  // where the web form's slider ends when below max_value (0: max_value)
};

// All options in the order the reference UI shows them.
std::span<const ExtrasOption> extras_options();

// The option with that JSON name, or nullptr.
const ExtrasOption* find_extras_option(std::string_view json_name);

using OptionValue = std::variant<double, bool, std::string>;

// Sets one field of `request`, checking the option's range and type.
// InvalidArgument naming the field when the value is of the wrong kind or out of range.
Status set_extras_option(ExtrasRequest& request, const ExtrasOption& option, const OptionValue& value);

// A request with every option at its CLI default, or at its API default.
ExtrasRequest default_cli_request();
ExtrasRequest default_api_request();

}  // namespace upres::pipeline
