// JSON <-> the Extras option table.
#include "server/extras_json.h"

#include "pipeline/run_extras.h"

#include "pipeline/extras_options.h"

namespace upres::server {
namespace {

using pipeline::ExtrasOption;
using pipeline::OptionKind;

std::string_view kind_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::kNumber:
      return "number";
    case OptionKind::kInteger:
      return "integer";
    case OptionKind::kBool:
      return "bool";
    case OptionKind::kUpscalerName:
      return "upscaler";
    case OptionKind::kResizeMode:
      return "resize_mode";
  }
  return "unknown";
}

Result<pipeline::OptionValue> to_option_value(const ExtrasOption& option,
                                              const nlohmann::json& value) {
  const std::string field(option.json_name);
  switch (option.kind) {
    case OptionKind::kUpscalerName:
      if (!value.is_string())
        return invalid_argument(field + ": expected an upscaler name (string)");
      return pipeline::OptionValue(value.get<std::string>());
    case OptionKind::kBool:
      if (value.is_boolean()) return pipeline::OptionValue(value.get<bool>());
      if (value.is_number() && (value == 0 || value == 1)) return pipeline::OptionValue(value != 0);
      return invalid_argument(field + ": expected true or false");
    default:
      if (!value.is_number()) return invalid_argument(field + ": expected a number");
      return pipeline::OptionValue(value.get<double>());
  }
}

Status check_upscaler_name(const ExtrasOption& option, const std::string& name,
                           const pipeline::UpscalerRegistry& registry) {
  std::string valid;
  for (const pipeline::UpscalerEntry& entry : registry.entries()) {
    if (entry.name == name) return Status::ok();
    valid += (valid.empty() ? "" : ", ") + entry.name;
  }
  return invalid_argument(std::string(option.json_name) + ": unknown upscaler \"" + name +
                          "\" (valid: " + valid + ")");
}

}  // namespace

Result<pipeline::ExtrasRequest> parse_extras_options(const nlohmann::json& body,
                                                     const pipeline::ExtrasRequest& defaults,
                                                     const pipeline::UpscalerRegistry& registry,
                                                     const pipeline::FaceModels* faces) {
  if (!body.is_object()) return invalid_argument("body: expected a JSON object");
  pipeline::ExtrasRequest request = defaults;
  for (const ExtrasOption& option : pipeline::extras_options()) {
    auto it = body.find(std::string(option.json_name));
    if (it == body.end() || it->is_null()) continue;
    UPRES_ASSIGN_OR_RETURN(pipeline::OptionValue value, to_option_value(option, *it));
    if (option.kind == OptionKind::kUpscalerName)
      UPRES_RETURN_IF_ERROR(check_upscaler_name(option, std::get<std::string>(value), registry));
    UPRES_RETURN_IF_ERROR(pipeline::set_extras_option(request, option, value));
  }
  UPRES_RETURN_IF_ERROR(request.validate());
  UPRES_RETURN_IF_ERROR(pipeline::check_capabilities(request, faces));
  return request;
}

nlohmann::json extras_options_json() {
  nlohmann::json list = nlohmann::json::array();
  for (const ExtrasOption& option : pipeline::extras_options()) {
    nlohmann::json item = {
        {"name", option.json_name},       {"label", option.label},       {"help", option.help},
        {"kind", kind_name(option.kind)}, {"cli_flag", option.cli_flag},
    };
    if (option.kind == OptionKind::kUpscalerName) {
      item["default"] = option.cli_default_text;
      item["api_default"] = option.api_default_text;
    } else if (option.kind == OptionKind::kBool) {
      item["default"] = option.cli_default != 0;
      item["api_default"] = option.api_default != 0;
    } else {
      item["min"] = option.min_value;
      item["max"] = option.max_value;
      item["slider_max"] = option.slider_max > 0 ? option.slider_max : option.max_value;
      item["step"] = option.step;
      item["default"] = option.cli_default;
      item["api_default"] = option.api_default;
    }
    list.push_back(std::move(item));
  }
  return list;
}

}  // namespace upres::server
