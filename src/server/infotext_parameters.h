// The reference UI's reading of an infotext ("prompt\nNegative prompt: ...\nSteps: 20, Size:
// 512x512, ...") into the `parameters` dict /sdapi/v1/png-info answers with: a port of
// parse_generation_parameters (modules/infotext_utils.py, AUTOMATIC1111 stable-diffusion-webui
// 1.10) with its defaults. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upres::server {

// One "key: value" found by the reference's re_param in a line, as (key, raw value): the value
// still quoted when it was written quoted. In line order.
std::vector<std::pair<std::string, std::string>> find_infotext_params(std::string_view line);

// The reference's parse_generation_parameters: "Prompt", "Negative prompt", every key of the last
// line when it holds three or more params ("WxH" values split into "<key>-1"/"<key>-2", quoted
// ones unquoted), then the reference's defaults for keys it adds when absent ("Clip skip": "1",
// "Hires resize-1": 0, "RNG": "GPU", ...). Values are strings except those defaults.
nlohmann::json parse_generation_parameters(std::string_view infotext);

}  // namespace upres::server
