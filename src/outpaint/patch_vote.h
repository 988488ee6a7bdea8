// Voting (Wexler et al. 2007): every unknown pixel becomes the weighted mean of the pixels that the
// patches covering it copy from their matches. A patch's weight falls with its distance,
// exp(-d / (2 sigma^2)) with sigma^2 a quarter of the mean per-sample distance, so good matches
// dominate and coherent regions stay sharp. Deterministic; uses threads.
#pragma once

#include "outpaint/nearest_neighbor_field.h"

namespace upres::outpaint {

// Rewrites every pixel of the canvas outside space.known; reads only pixels inside it.
void vote(const PatchSpace& space, image::Image& canvas, const NearestNeighborField& nnf, int threads);

}  // namespace upres::outpaint
