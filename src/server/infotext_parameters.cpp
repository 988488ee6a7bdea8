// parse_generation_parameters, ported from the reference's source (not its code): the regex
// re_param `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)` is matched by hand, in linear
// time, with the same results as Python's re.findall on it.
#include "server/infotext_parameters.h"

#include <cmath>
#include <optional>

namespace upres::server {
namespace {

using nlohmann::json;

// Python's \w and \s on str, for ASCII; every byte of a multi-byte UTF-8 character counts as a word
// character (letters in other scripts are \w in Python too).
bool is_word(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u) || c == '_';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_key_char(char c) { return is_word(c) || c == ' ' || c == '-' || c == '/'; }

std::string_view strip(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Closing quotes of `"(?:\\.|[^\\"])+"` content scans. A scan from any start steps through
// positions by escape pairs; scans that land on one position end alike, so each position is
// resolved once and a line with many opening quotes still costs linear time.
class QuoteScanner {
 public:
  explicit QuoteScanner(std::string_view line) : line_(line), end_of_(line.size() + 1, kUnknown) {}

  // Index of the unescaped '"' ending the content that starts at `from`; npos when none.
  size_t closing_quote(size_t from) {
    std::vector<size_t> visited;
    size_t i = from, found = std::string_view::npos;
    while (true) {
      if (i >= line_.size()) break;
      if (end_of_[i] != kUnknown) {
        found = end_of_[i] == kNone ? std::string_view::npos : static_cast<size_t>(end_of_[i]);
        break;
      }
      visited.push_back(i);
      const char c = line_[i];
      if (c == '"') {
        found = i;
        break;
      }
      if (c == '\\') {  // `\\.`: '.' takes any character but a newline
        if (i + 1 >= line_.size() || line_[i + 1] == '\n') break;
        i += 2;
      } else {
        ++i;
      }
    }
    for (size_t v : visited) end_of_[v] = found == std::string_view::npos ? kNone : static_cast<long>(found);
    return found;
  }

 private:
  static constexpr long kUnknown = -2, kNone = -1;
  std::string_view line_;
  std::vector<long> end_of_;
};

// json.loads on a quoted value, or the text unchanged when it does not parse (as unquote does).
std::string unquote(const std::string& text) {
  if (text.empty() || text.front() != '"' || text.back() != '"') return text;
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_string()) return parsed.get<std::string>();
  return text;
}

// re_imagesize `^(\d+)x(\d+)$`.
std::optional<std::pair<std::string, std::string>> split_image_size(const std::string& value) {
  const size_t x = value.find('x');
  if (x == std::string::npos || x == 0 || x + 1 >= value.size()) return std::nullopt;
  std::string_view right(value);
  right.remove_prefix(x + 1);
  if (right.back() == '\n') right.remove_suffix(1);  // Python's $ also matches before a final \n
  auto digits = [](std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  };
  if (!digits(std::string_view(value).substr(0, x)) || !digits(right)) return std::nullopt;
  return std::make_pair(value.substr(0, x), std::string(right));
}

std::optional<long long> to_integer(const json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (!value.is_string()) return std::nullopt;
  const std::string text(strip(value.get<std::string>()));
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  try {
    long long number = std::stoll(text, &used);
    if (used == text.size()) return number;
  } catch (const std::exception&) {
    return std::nullopt;  // int() would raise: the reference's parse fails there too
  }
  return std::nullopt;
}

// processing.old_hires_fix_first_pass_dimensions.
std::pair<long long, long long> old_hires_first_pass(long long width, long long height) {
  const double scale = std::sqrt(512.0 * 512.0 / static_cast<double>(width * height));
  return {static_cast<long long>(std::ceil(scale * width / 64)) * 64,
          static_cast<long long>(std::ceil(scale * height / 64)) * 64};
}

// restore_old_hires_fix_params with use_old_hires_fix_width_height off (the default).
void restore_old_hires_fix_params(json& res) {
  if (!res.contains("First pass size-1") || !res.contains("First pass size-2")) return;
  auto first_width = to_integer(res["First pass size-1"]);
  auto first_height = to_integer(res["First pass size-2"]);
  auto width = res.contains("Size-1") ? to_integer(res["Size-1"]) : 512;
  auto height = res.contains("Size-2") ? to_integer(res["Size-2"]) : 512;
  if (!first_width || !first_height || !width || !height) return;
  if (*first_width == 0 || *first_height == 0) {
    if (*width <= 0 || *height <= 0) return;
    std::tie(*first_width, *first_height) = old_hires_first_pass(*width, *height);
  }
  res["Size-1"] = *first_width;
  res["Size-2"] = *first_height;
  res["Hires resize-1"] = *width;
  res["Hires resize-2"] = *height;
}

// packaging's version.parse for the forms infotexts carry: "v1.6.0", "1.7.0-225" (a post
// release), "v1.6.0-2-gabcdef" (cut to "v1.6.0-2" first, as parse_version does).
struct Version {
  std::vector<long> release;
  long post = -1;
  bool operator<(const Version& other) const {
    const size_t n = std::max(release.size(), other.release.size());
    for (size_t i = 0; i < n; ++i) {
      const long a = i < release.size() ? release[i] : 0;
      const long b = i < other.release.size() ? other.release[i] : 0;
      if (a != b) return a < b;
    }
    return post < other.post;
  }
};

std::optional<Version> parse_version(std::string text) {
  const size_t first_dash = text.find('-');
  if (first_dash != std::string::npos && first_dash > 0) {
    const size_t second_dash = text.find('-', first_dash + 1);
    if (second_dash != std::string::npos && second_dash > first_dash + 1)
      text = text.substr(0, second_dash);
  }
  text = std::string(strip(text));
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.erase(0, 1);
  Version version;
  std::string_view rest(text);
  const size_t dash = rest.find('-');
  std::string_view release = rest.substr(0, dash);
  auto number = [](std::string_view s) -> std::optional<long> {
    if (s.empty() || s.size() > 9) return std::nullopt;
    long n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  while (true) {
    const size_t dot = release.find('.');
    auto part = number(release.substr(0, dot));
    if (!part) return std::nullopt;
    version.release.push_back(*part);
    if (dot == std::string_view::npos) break;
    release.remove_prefix(dot + 1);
  }
  if (dash != std::string_view::npos) {
    auto post = number(rest.substr(dash + 1));
    if (!post) return std::nullopt;
    version.post = *post;
  }
  return version;
}

// infotext_versions.backcompat with auto_backcompat on (the default).
void apply_backcompat(json& res) {
  if (!res.contains("Version") || !res["Version"].is_string()) return;
  auto version = parse_version(res["Version"].get<std::string>());
  if (!version) return;
  const Version v160{{1, 6, 0}}, v170_tsnr{{1, 7, 0}, 225}, v180{{1, 8, 0}};
  const std::string prompt = res.value("Prompt", "");
  const std::string sampler = res.contains("Sampler") && res["Sampler"].is_string()
                                  ? res["Sampler"].get<std::string>() : "";
  if (*version < v160 && prompt.find('[') != std::string::npos)
    res["Old prompt editing timelines"] = true;
  if (*version < v160 && (sampler == "DDIM" || sampler == "PLMS")) res["Pad conds v0"] = true;
  if (*version < v170_tsnr) res["Downcast alphas_cumprod"] = true;
  const bool has_refiner = res.contains("Refiner") && res["Refiner"].is_string() &&
                           !res["Refiner"].get<std::string>().empty();
  if (*version < v180 && has_refiner) res["Refiner switch by sampling steps"] = true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> find_infotext_params(std::string_view line) {
  std::vector<std::pair<std::string, std::string>> found;
  QuoteScanner quotes(line);
  const size_t n = line.size();
  size_t pos = 0;
  while (pos < n) {
    size_t k = pos;
    while (k < n && is_space(line[k])) ++k;
    if (k >= n || !is_word(line[k])) {
      pos = k + 1;  // every start up to k reaches the same non-word character
      continue;
    }
    size_t r = k + 1;
    while (r < n && is_key_char(line[r])) ++r;
    if (r - k < 2 || r >= n || line[r] != ':') {
      pos = std::max(pos + 1, r);  // starts inside this run end at the same place
      continue;
    }
    size_t v = r + 1;
    while (v < n && is_space(line[v])) ++v;
    size_t value_end = std::string_view::npos, next = 0;
    if (v < n && line[v] == '"') {
      const size_t q = quotes.closing_quote(v + 1);
      if (q != std::string_view::npos && q > v + 1 && (q + 1 == n || line[q + 1] == ',')) {
        value_end = q + 1;
        next = q + 1 == n ? n : q + 2;
      }
    }
    if (value_end == std::string_view::npos) {
      const size_t comma = line.find(',', v);
      value_end = comma == std::string_view::npos ? n : comma;
      next = comma == std::string_view::npos ? n : comma + 1;
    }
    found.emplace_back(std::string(line.substr(k, r - k)), std::string(line.substr(v, value_end - v)));
    pos = next;
  }
  return found;
}

nlohmann::json parse_generation_parameters(std::string_view infotext) {
  json res = json::object();
  const std::string_view text = strip(infotext);
  std::vector<std::string_view> lines;
  for (size_t start = 0;;) {
    const size_t newline = text.find('\n', start);
    lines.push_back(text.substr(start, newline == std::string_view::npos ? std::string_view::npos
                                                                          : newline - start));
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  std::string_view last_line = lines.back();
  lines.pop_back();
  auto params = find_infotext_params(last_line);
  if (params.size() < 3) {
    lines.push_back(last_line);
    params.clear();
  }

  std::string prompt, negative_prompt;
  bool done_with_prompt = false;
  constexpr std::string_view kNegative = "Negative prompt:";
  for (std::string_view line : lines) {
    line = strip(line);
    if (line.substr(0, kNegative.size()) == kNegative) {
      done_with_prompt = true;
      line = strip(line.substr(kNegative.size()));
    }
    std::string& target = done_with_prompt ? negative_prompt : prompt;
    target += (target.empty() ? "" : "\n") + std::string(line);
  }
  res["Prompt"] = prompt;
  res["Negative prompt"] = negative_prompt;

  for (auto& [key, raw] : params) {
    if (raw.empty()) continue;  // the reference's v[0] raises on it and the key is dropped
    const std::string value = raw.front() == '"' && raw.back() == '"' ? unquote(raw) : raw;
    if (auto size = split_image_size(value)) {
      res[key + "-1"] = size->first;
      res[key + "-2"] = size->second;
    } else {
      res[key] = value;
    }
  }

  auto set_default = [&res](const char* key, json value) {
    if (!res.contains(key)) res[key] = std::move(value);
  };
  set_default("Clip skip", "1");
  if (res.contains("Hypernet")) {
    const json strength = res.contains("Hypernet strength") ? res["Hypernet strength"] : json("1.0");
    auto as_text = [](const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
    res["Prompt"] = res["Prompt"].get<std::string>() + "<hypernet:" + as_text(res["Hypernet"]) +
                    ":" + as_text(strength) + ">";
  }
  if (!res.contains("Hires resize-1")) {
    res["Hires resize-1"] = 0;
    res["Hires resize-2"] = 0;
  }
  set_default("Hires sampler", "Use same sampler");
  set_default("Hires checkpoint", "Use same checkpoint");
  set_default("Hires prompt", "");
  set_default("Hires negative prompt", "");
  set_default("Mask mode", "Inpaint masked");
  set_default("Masked content", "original");
  set_default("Inpaint area", "Whole picture");
  set_default("Masked area padding", 32);
  restore_old_hires_fix_params(res);
  set_default("RNG", "GPU");
  set_default("Schedule type", "Automatic");
  set_default("Schedule max sigma", 0);
  set_default("Schedule min sigma", 0);
  set_default("Schedule rho", 0);
  set_default("VAE Encoder", "Full");
  set_default("VAE Decoder", "Full");
  set_default("FP8 weight", "Disable");
  if (!res.contains("Cache FP16 weight for LoRA") && res["FP8 weight"] != "Disable")
    res["Cache FP16 weight for LoRA"] = false;
  apply_backcompat(res);
  return res;
}

}  // namespace upres::server
