// Face paste-back: a restored aligned face warped back into the picture through the inverse of
// its alignment, blended with facexlib's soft mask: the face-parsing mask when there is one, else
// the warped square eroded by 2 px, then eroded and Gaussian-blurred by widths that grow with the
// face's area. Pure function.
#pragma once

#include "base/status.h"
#include "image/image.h"
#include "image/warp_affine.h"

namespace upres::pipeline {

// Blends `face` (a square RGB crop) into `picture` where crop_to_picture maps crop pixels to
// picture pixels. `parse_mask` (optional, face-sized, one channel; see face_parse_mask.h)
// replaces the square mask. Only pixels under the soft mask change; alpha is kept; a grey
// picture takes the face's luminance. Returns the number of picture pixels the mask touches (0
// when the face lies outside the picture). InvalidArgument when the transform is singular.
Result<long> paste_face(image::Image& picture, const image::Image& face,
                        const image::AffineTransform& crop_to_picture,
                        const image::Image* parse_mask = nullptr);

}  // namespace upres::pipeline
