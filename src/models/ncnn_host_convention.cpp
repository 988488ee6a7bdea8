// NcnnHostConvention: detection from the graph's size arithmetic and the model family.
#include "models/ncnn_host_convention.h"

#include <regex>

namespace upres::models {
namespace {

// Probe sizes: multiples of 64, large enough for every valid-convolution U-Net here.
constexpr int64_t kProbeSmall = 128;
constexpr int64_t kProbeLarge = 192;

bool looks_like_real_cugan(const weights::NcnnGraph& graph, const std::filesystem::path& param_path) {
  for (const weights::NcnnLayer& layer : graph.layers) {
    for (const std::string& blob : layer.outputs) {
      if (blob == "gap0") return true;  // realcugan-ncnn-vulkan's syncgap blob names
    }
  }
  static const std::regex kCuganName("up[234]x.*", std::regex::icase);
  return std::regex_match(param_path.filename().string(), kCuganName);
}

// Scale along one axis from two probes; the shrink is scale * input - output at the small probe.
Result<std::pair<int, int64_t>> axis_scale(int64_t small_out, int64_t large_out, const char* axis) {
  int64_t grow = large_out - small_out, span = kProbeLarge - kProbeSmall;
  if (grow <= 0 || grow % span != 0) {
    return unsupported(std::string("ncnn graph output ") + axis + " grows by " + std::to_string(grow) + " over " +
                       std::to_string(span) + " input pixels: not an integer scale");
  }
  int scale = static_cast<int>(grow / span);
  return std::pair{scale, scale * kProbeSmall - small_out};
}

}  // namespace

std::string NcnnHostConvention::family_name() const {
  switch (family) {
    case Family::kRealCugan: return "Real-CUGAN";
    case Family::kWaifu2x: return "waifu2x";
    case Family::kPlain: break;
  }
  return "plain";
}

Result<NcnnHostConvention> detect_ncnn_host_convention(const weights::NcnnGraph& graph,
                                                       const std::filesystem::path& param_path,
                                                       const NcnnOutputSizeFn& output_size) {
  UPRES_ASSIGN_OR_RETURN(auto small, output_size(kProbeSmall, kProbeSmall));
  UPRES_ASSIGN_OR_RETURN(auto large, output_size(kProbeLarge, kProbeLarge));
  UPRES_ASSIGN_OR_RETURN(auto h, axis_scale(small.first, large.first, "height"));
  UPRES_ASSIGN_OR_RETURN(auto w, axis_scale(small.second, large.second, "width"));
  if (h != w) return unsupported("ncnn graph scales height and width differently");
  NcnnHostConvention convention;
  convention.scale = h.first;
  int64_t shrink = h.second;
  if (shrink < 0 || shrink % (2 * convention.scale) != 0) {
    return unsupported("ncnn graph output is " + std::to_string(-shrink) + " px off " + std::to_string(convention.scale) +
                       "x its input, not a border the host could pad");
  }
  convention.prepadding_px = static_cast<int>(shrink / (2 * convention.scale));
  bool cugan = looks_like_real_cugan(graph, param_path);
  if (convention.prepadding_px == 0 && !cugan) return convention;
  convention.multiple = convention.scale % 2 == 0 ? 2 : 4;
  if (cugan) {
    convention.family = NcnnHostConvention::Family::kRealCugan;
    convention.border = engine::PadMode::kReflect;
    convention.add_nearest_input = convention.scale == 4;
  } else {
    convention.family = NcnnHostConvention::Family::kWaifu2x;
    convention.border = engine::PadMode::kReplicate;
  }
  return convention;
}

}  // namespace upres::models
