// run_batch: one piece of work (an Extras request, an outpaint) over many inputs. A broken item is reported and the batch goes
// on; only cancellation stops it. Single-threaded: items run one after another.
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

#include "image/image_codec.h"
#include "pipeline/extras_request.h"
#include "pipeline/input_list.h"
#include "pipeline/output_folder.h"
#include "pipeline/progress.h"
#include "pipeline/face_models.h"
#include "pipeline/upscaler_registry.h"

namespace upres::pipeline {

struct BatchOptions {
  bool skip_existing = false;  // skip items whose <stem>.<ext> is already in the output folder
  // With skip_existing, replaces that check (e.g. by a manifest's record or the result's recorded
  // parameters): true = done, skip it; an error fails the item without running it.
  std::function<Result<bool>(const InputItem& item)> is_done;
  image::DecodeLimits limits;
  FaceModels* faces = nullptr;  // needed when the request restores faces; loaded on first use
};

struct BatchOutcome {
  std::filesystem::path input;
  std::filesystem::path output;  // empty unless saved
  Status status;                 // OK, or why this item failed
  bool is_skipped = false;
};

struct BatchReport {
  std::vector<BatchOutcome> outcomes;
  int succeeded = 0, failed = 0, skipped = 0;
  bool all_succeeded() const { return failed == 0; }
};

// Called before each item (outcome.input set, status OK) and after it (filled in).
struct BatchListener {
  std::function<void(size_t index, size_t count, const std::filesystem::path& input)> on_start;
  std::function<void(size_t index, size_t count, const BatchOutcome& outcome)> on_done;
};

// What a batch does to one decoded picture: the result to save (its metadata carries the infotext).
using ItemWork = std::function<Result<image::Image>(const image::Image& picture, Progress& progress)>;

// Runs `work` on every input: decode, work, save (numbered for a single input, by stem in a batch).
BatchReport run_batch(const InputList& inputs, const ItemWork& work, const OutputFolder& output,
                      const BatchOptions& options, Progress& progress, const BatchListener& listener = {});

// The Extras run of `request` as the work.
BatchReport run_batch(const InputList& inputs, const ExtrasRequest& request,
                      UpscalerRegistry& registry, const OutputFolder& output,
                      const BatchOptions& options, Progress& progress,
                      const BatchListener& listener = {});

}  // namespace upres::pipeline
