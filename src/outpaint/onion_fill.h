// onion_fill: the first guess PatchMatch starts from at its coarsest level. The unknown pixels are
// filled ring by ring outward from the known rectangle; each copies the centre of the source patch
// that best matches its already-filled neighbours (candidates: the neighbours' matches shifted by
// one pixel, random sources, a shrinking local search), so textures and lines leave the original
// in phase. Serial and deterministic; meant for small canvases.
#pragma once

#include <cstdint>
#include <vector>

#include "image/image.h"
#include "outpaint/nearest_neighbor_field.h"

namespace upres::outpaint {

// Fills every pixel outside space.known; `field` gets each unknown target's match.
// Requires: space.sources() not empty; field made for `space`.
void onion_fill(const PatchSpace& space, image::Image& canvas, NearestNeighborField& field, uint64_t seed);

}  // namespace upres::outpaint
