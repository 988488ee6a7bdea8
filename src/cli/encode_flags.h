// The flags that say how a batch command encodes its results (--format, --quality, --lossless):
// declared once for `upscale` and `outpaint`, and read into image::EncodeOptions. Free functions;
// thread-compatible.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "base/result.h"
#include "image/image_codec.h"

namespace upres::cli {

// Adds --format, --quality and --lossless to `command`, bound to the variables given; their values
// on entry are the defaults --help shows. The variables must outlive the parse.
void add_encode_flags(CLI::App& command, std::string& format, int& quality, bool& lossless);

// The EncodeOptions those flags ask for: the format parse_image_format names, quality and
// lossless as given. InvalidArgument for an unknown format or a quality outside [1, 100].
Result<image::EncodeOptions> encode_options_from_flags(const std::string& format, int quality, bool lossless);

}  // namespace upres::cli
