#include "pipeline/upscaler_registry.h"

#include <algorithm>

#include "pipeline/resampling_upscaler.h"

namespace upres::pipeline {

struct UpscalerRegistry::Slot {
  UpscalerEntry entry;
  Factory factory;
  std::mutex load_mutex;             // one load per slot, outside the registry's lock
  std::shared_ptr<Upscaler> loaded;  // filled on first find(); guarded by load_mutex
};

namespace {

// The reference UI pins these first; everything else follows sorted by name.
constexpr const char* kPinnedNames[] = {"None", "Lanczos", "Nearest"};

int pin_rank(const std::string& name) {
  for (int i = 0; i < 3; ++i)
    if (name == kPinnedNames[i]) return i;
  return 3;
}

UpscalerRegistry::Factory resampler(const char* name, image::ResampleFilter filter) {
  return [name, filter]() -> Result<std::shared_ptr<Upscaler>> {
    return std::shared_ptr<Upscaler>(std::make_shared<ResamplingUpscaler>(name, filter));
  };
}

}  // namespace

std::shared_ptr<UpscalerRegistry> UpscalerRegistry::with_classical_upscalers() {
  auto registry = std::make_shared<UpscalerRegistry>();
  registry->add({"None", "", 0, true}, [] { return Result<std::shared_ptr<Upscaler>>(nullptr); });
  registry->add({"Lanczos", "", 0, true}, resampler("Lanczos", image::ResampleFilter::kLanczos));
  registry->add({"Nearest", "", 0, true}, resampler("Nearest", image::ResampleFilter::kNearest));
  registry->add({"Bicubic", "", 0, true}, resampler("Bicubic", image::ResampleFilter::kBicubic));
  return registry;
}

void UpscalerRegistry::add(UpscalerEntry entry, Factory factory) {
  std::lock_guard lock(mutex_);
  auto slot = std::make_shared<Slot>();
  slot->entry = std::move(entry);
  slot->factory = std::move(factory);
  auto same_name = [&](const auto& s) { return s->entry.name == slot->entry.name; };
  if (auto it = std::find_if(slots_.begin(), slots_.end(), same_name); it != slots_.end()) {
    *it = slot;
  } else {
    slots_.push_back(slot);
  }
  std::stable_sort(slots_.begin(), slots_.end(), [](const auto& a, const auto& b) {
    int ra = pin_rank(a->entry.name), rb = pin_rank(b->entry.name);
    if (ra != rb) return ra < rb;
    return a->entry.name < b->entry.name;
  });
}

std::vector<UpscalerEntry> UpscalerRegistry::entries() const {
  std::lock_guard lock(mutex_);
  std::vector<UpscalerEntry> out;
  for (const auto& slot : slots_) out.push_back(slot->entry);
  return out;
}

Result<std::shared_ptr<Upscaler>> UpscalerRegistry::find(const std::string& name) {
  std::shared_ptr<Slot> slot;
  std::string known;
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : slots_) {
      if (s->entry.name == name) slot = s;
      known += (known.empty() ? "" : ", ") + s->entry.name;
    }
  }
  if (!slot) return not_found("unknown upscaler \"" + name + "\"; available: " + known);
  // Loading may take seconds (weights): done outside the registry lock, once per slot.
  std::lock_guard load_lock(slot->load_mutex);
  if (!slot->loaded && slot->factory) {
    UPRES_ASSIGN_OR_RETURN(slot->loaded, slot->factory());
  }
  return slot->loaded;
}

}  // namespace upres::pipeline
