// Architecture detection tables: runnable architectures and known-but-unsupported signatures
// (key lists from spandrel's detect predicates, chaiNNer-org/spandrel architectures/*/__init__.py).
#include "models/architecture_registry.h"

#include <initializer_list>
#include <string>

#include "models/dat/dat.h"
#include "models/hat/hat.h"
#include "models/lama/lama.h"
#include "models/omnisr/omnisr.h"
#include "models/plksr/plksr.h"
#include "models/rrdbnet.h"
#include "models/rrdbnet_keys.h"
#include "models/scunet/scunet.h"
#include "models/span/span.h"
#include "models/srvgg_net_compact.h"
#include "models/swinir/swin2sr.h"
#include "models/swinir/swinir.h"

namespace upres::models {
namespace {

bool matches_rrdbnet(const nn::StateDict& weights) {
  RRDBNetLayout layout;
  return detect_rrdbnet_layout(weights, &layout);
}

Result<std::shared_ptr<const UpscaleModel>> load_rrdbnet(const weights::WeightMap& weights) {
  UPRES_ASSIGN_OR_RETURN(auto net, RRDBNet::from_weights(weights));
  return std::shared_ptr<const UpscaleModel>(std::move(net));
}

Result<std::shared_ptr<const UpscaleModel>> load_srvgg(const weights::WeightMap& weights) {
  UPRES_ASSIGN_OR_RETURN(auto net, SRVGGNetCompact::from_weights(weights));
  return std::shared_ptr<const UpscaleModel>(std::move(net));
}

// A family's from_weights as the registry's loader.
template <typename Net>
Result<std::shared_ptr<const UpscaleModel>> load_as(const weights::WeightMap& weights) {
  UPRES_ASSIGN_OR_RETURN(auto net, Net::from_weights(weights));
  return std::shared_ptr<const UpscaleModel>(std::move(net));
}

constexpr ArchitectureEntry kArchitectures[] = {
    {"DAT", &DAT::matches, &load_as<DAT>},
    {"HAT", &HAT::matches, &load_as<HAT>},  // before SwinIR: HAT shares its layers.*.residual_group keys
    {"SRVGGNetCompact", &SRVGGNetCompact::matches, &load_srvgg},
    {"RRDBNet", &matches_rrdbnet, &load_rrdbnet},
    {"Swin2SR", &Swin2SR::matches, &load_as<Swin2SR>},
    {"SwinIR", &SwinIR::matches, &load_as<SwinIR>},
    {"OmniSR", &OmniSR::matches, &load_as<OmniSR>},
    {"SPAN", &SPAN::matches, &load_as<SPAN>},
    {"PLKSR", &PLKSR::matches, &load_as<PLKSR>},
    {"SCUNet", &SCUNet::matches, &load_as<SCUNet>},
};

// An architecture upres does not run, recognised by keys that must all be present.
struct KnownSignature {
  std::string_view name;
  std::initializer_list<std::string_view> keys;
};

const KnownSignature kKnownUnsupported[] = {
    {"RGT", {"conv_first.weight", "before_RG.1.weight", "layers.0.blocks.0.gamma"}},
    {"RealCUGAN", {"unet1.conv1.conv.0.weight", "unet2.conv1.conv.0.weight", "unet2.conv_bottom.weight"}},
    {"GFPGAN", {"toRGB.0.weight", "stylegan_decoder.style_mlp.1.weight"}},
    {"CodeFormer", {"position_emb", "quantize.embedding.weight", "idx_pred_layer.1.weight"}},
    {"RestoreFormer", {"quantize.embedding.weight", "encoder.conv_in.weight", "quant_conv.weight"}},
    {"DRUNet", {"m_head.weight", "m_tail.weight", "m_body.0.res.0.weight"}},
    {"SAFMN", {"to_feat.weight", "feats.0.safm.aggr.weight"}},
    {"DITN", {"sft.weight", "UFONE.0.ITLs.0.attn.temperature"}},
    {"SwiftSRGAN", {"initial.cnn.depthwise.weight", "final_conv.pointwise.weight"}},
    {"NAFNet", {"intro.weight", "ending.weight", "middle_blks.0.beta"}},
    {"RCAN", {"tail.1.weight", "body.0.body.0.body.0.weight"}},
    {"ESRGAN+", {"model.0.weight", "model.1.sub.0.RDB1.conv1x1.weight"}},
};

bool has_all(const nn::StateDict& weights, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (!weights.has(key)) return false;
  }
  return true;
}

}  // namespace

std::span<const ArchitectureEntry> torch_architectures() { return kArchitectures; }

Result<const ArchitectureEntry*> detect_architecture(const nn::StateDict& weights) {
  // LaMa runs, but as the outpaint fill (image + mask in), not as an upscaler.
  if (lama::LamaGenerator::matches(weights)) {
    return unsupported("LaMa (big-lama) is an inpainting model, not an upscaler: use it with `upres outpaint --fill lama`");
  }
  // Known signatures first: ESRGAN+ also holds RRDBNet's old-arch keys.
  for (const KnownSignature& known : kKnownUnsupported) {
    if (has_all(weights, known.keys)) return unsupported(std::string(known.name) + " is not supported yet");
  }
  for (const ArchitectureEntry& entry : kArchitectures) {
    if (entry.matches(weights)) return &entry;
  }
  return unsupported("unknown architecture (" + std::to_string(weights.weight_map().size()) +
                     " tensors; keys " + weights.key_sample(6) + ")");
}

Result<std::shared_ptr<const UpscaleModel>> load_torch_upscale_model(const weights::WeightMap& weights,
                                                                     std::string_view file) {
  const nn::StateDict state(weights);
  auto entry = detect_architecture(state);
  if (!entry.is_ok()) return entry.status().with_context(file);
  auto model = entry.value()->load(weights);
  if (!model.is_ok()) return model.status().with_context(std::string(file) + ": " + std::string(entry.value()->name));
  return model;
}

}  // namespace upres::models
