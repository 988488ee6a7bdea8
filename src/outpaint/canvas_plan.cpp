#include "outpaint/canvas_plan.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <vector>

namespace upres::outpaint {
namespace {

std::string size_text(int64_t width, int64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool parse_int(std::string_view text, int& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parse_double(std::string_view text, double& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty() && std::isfinite(value);
}

// Splits `growth` between the two sides of an axis the directions allow.
Status split_growth(int growth, bool first_allowed, bool second_allowed, const char* axis,
                    const std::string& what, unsigned directions, int& first, int& second) {
  first = second = 0;
  if (growth == 0) return Status::ok();
  if (!first_allowed && !second_allowed)
    return invalid_argument(what + " needs the picture " + axis + " by " + std::to_string(growth) +
                            " px, but --directions allows only " + directions_text(directions));
  if (first_allowed && second_allowed) {
    first = growth / 2;
    second = growth - first;
  } else if (first_allowed) {
    first = growth;
  } else {
    second = growth;
  }
  return Status::ok();
}

Status check_canvas(int64_t width, int64_t height, const CanvasRequest& request) {
  if (width > kMaxCanvasSide || height > kMaxCanvasSide)
    return resource_exhausted("the canvas would be " + size_text(width, height) + ", over the largest side of " +
                              std::to_string(kMaxCanvasSide) + " px");
  if (width * height > request.max_pixels)
    return resource_exhausted("the canvas would be " + size_text(width, height) + " = " +
                              std::to_string(width * height) + " pixels, over the limit of " +
                              std::to_string(request.max_pixels));
  return Status::ok();
}

// The canvas size an aspect ask gives: the short side (for that ratio) grows.
void aspect_canvas(int width, int height, double ratio, int64_t& canvas_width, int64_t& canvas_height) {
  canvas_width = width;
  canvas_height = height;
  const double current = static_cast<double>(width) / height;
  if (current < ratio) canvas_width = std::max<int64_t>(width, std::llround(std::min(height * ratio, 1e12)));
  else if (current > ratio) canvas_height = std::max<int64_t>(height, std::llround(std::min(width / ratio, 1e12)));
}

}  // namespace

std::string directions_text(unsigned directions) {
  std::string text;
  const std::pair<unsigned, const char*> names[] = {{kLeft, "left"}, {kRight, "right"}, {kUp, "up"}, {kDown, "down"}};
  for (const auto& [bit, name] : names) {
    if (!(directions & bit)) continue;
    if (!text.empty()) text += ",";
    text += name;
  }
  return text.empty() ? "none" : text;
}

Result<CanvasPlan> plan_canvas(int width, int height, const CanvasRequest& request) {
  if (width < 1 || height < 1) return invalid_argument("the picture is empty");
  int64_t canvas_width = width, canvas_height = height;
  std::string what;
  CanvasPlan plan;
  if (request.mode == CanvasRequest::Mode::kExpand) {
    const Borders& e = request.expand;
    if (e.left < 0 || e.top < 0 || e.right < 0 || e.bottom < 0)
      return invalid_argument("expansion " + std::to_string(e.left) + "," + std::to_string(e.top) + "," +
                              std::to_string(e.right) + "," + std::to_string(e.bottom) +
                              " is negative on a side: outpainting only adds pixels (crop to remove them)");
    if (e.is_zero()) return invalid_argument("expansion 0,0,0,0 adds nothing: give pixels for at least one side");
    canvas_width = int64_t{width} + e.left + e.right;
    canvas_height = int64_t{height} + e.top + e.bottom;
    UPRES_RETURN_IF_ERROR(check_canvas(canvas_width, canvas_height, request));
    plan.original = {e.left, e.top, width, height};
  } else {
    if (request.mode == CanvasRequest::Mode::kAspect) {
      if (!(request.aspect_width > 0 && request.aspect_height > 0))
        return invalid_argument("aspect ratio must be two positive numbers, e.g. 16:9");
      aspect_canvas(width, height, request.aspect_width / request.aspect_height, canvas_width, canvas_height);
      what = "aspect " + number_text(request.aspect_width) + ":" + number_text(request.aspect_height);
    } else {
      if (request.width < 1 || request.height < 1)
        return invalid_argument("target size " + size_text(request.width, request.height) + " must be positive");
      canvas_width = request.width;
      canvas_height = request.height;
      what = "target size " + size_text(canvas_width, canvas_height);
      if (canvas_width < width || canvas_height < height)
        return invalid_argument(what + " is smaller than the picture (" + size_text(width, height) +
                                ") in " + (canvas_width < width ? "width" : "height") +
                                ": outpainting only adds pixels (use upscale --to to shrink or crop)");
    }
    UPRES_RETURN_IF_ERROR(check_canvas(canvas_width, canvas_height, request));
    const unsigned d = request.directions;
    int left = 0, right = 0, top = 0, bottom = 0;
    UPRES_RETURN_IF_ERROR(split_growth(static_cast<int>(canvas_width - width), d & kLeft, d & kRight, "wider",
                                       what, d, left, right));
    UPRES_RETURN_IF_ERROR(split_growth(static_cast<int>(canvas_height - height), d & kUp, d & kDown, "taller",
                                       what, d, top, bottom));
    plan.original = {left, top, width, height};
  }
  plan.width = static_cast<int>(canvas_width);
  plan.height = static_cast<int>(canvas_height);
  return plan;
}

Status parse_aspect(std::string_view text, CanvasRequest& request) {
  std::vector<std::string_view> parts = split(text, ':');
  double a = 0, b = 0;
  if (parts.size() != 2 || !parse_double(parts[0], a) || !parse_double(parts[1], b) || a <= 0 || b <= 0 ||
      a / b > 1e4 || b / a > 1e4)
    return invalid_argument("aspect: expected WIDTH:HEIGHT with two positive numbers, e.g. 16:9, got \"" +
                            std::string(text) + "\"");
  request.mode = CanvasRequest::Mode::kAspect;
  request.aspect_width = a;
  request.aspect_height = b;
  return Status::ok();
}

Status parse_size(std::string_view text, CanvasRequest& request) {
  size_t x = text.find_first_of("xX");
  int width = 0, height = 0;
  if (x == std::string_view::npos || !parse_int(text.substr(0, x), width) || !parse_int(text.substr(x + 1), height) ||
      width < 1 || height < 1)
    return invalid_argument("size: expected WIDTHxHEIGHT with positive integers, e.g. 3840x2160, got \"" +
                            std::string(text) + "\"");
  request.mode = CanvasRequest::Mode::kSize;
  request.width = width;
  request.height = height;
  return Status::ok();
}

Status parse_expand(std::string_view text, CanvasRequest& request) {
  std::vector<std::string_view> parts = split(text, ',');
  int values[4] = {};
  bool ok = parts.size() == 1 || parts.size() == 4;
  for (size_t i = 0; ok && i < parts.size(); ++i) ok = parse_int(parts[i], values[i]);
  if (!ok)
    return invalid_argument("expand: expected LEFT,TOP,RIGHT,BOTTOM in pixels (or one number for every side), got \"" +
                            std::string(text) + "\"");
  if (parts.size() == 1) values[1] = values[2] = values[3] = values[0];
  for (int v : values)
    if (v < 0)
      return invalid_argument("expand: \"" + std::string(text) +
                              "\" has a negative side: outpainting only adds pixels (crop to remove them)");
  if (values[0] == 0 && values[1] == 0 && values[2] == 0 && values[3] == 0)
    return invalid_argument("expand: \"" + std::string(text) + "\" adds nothing: give pixels for at least one side");
  request.mode = CanvasRequest::Mode::kExpand;
  request.expand = {values[0], values[1], values[2], values[3]};
  return Status::ok();
}

Status parse_directions(std::string_view text, CanvasRequest& request) {
  unsigned directions = 0;
  for (std::string_view part : split(text, ',')) {
    if (part == "left") directions |= kLeft;
    else if (part == "right") directions |= kRight;
    else if (part == "up" || part == "top") directions |= kUp;
    else if (part == "down" || part == "bottom") directions |= kDown;
    else
      return invalid_argument("directions: unknown direction \"" + std::string(part) +
                              "\" (expected a comma list of left, right, up, down)");
  }
  request.directions = directions;
  return Status::ok();
}

}  // namespace upres::outpaint
