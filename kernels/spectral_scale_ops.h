#pragma once
// Per-element bodies of kernels/spectral_scale.cu (GANSynth (de)normalisation).
#include <cstddef>

#include "spectral/hd.h"
#include "spectral/gansynth_contract.h"

namespace timbrel::kernels {

// Values are interleaved [.., 2]: even index = log magnitude, odd = instantaneous frequency.
TIMBREL_HD float normalize_element(float x, size_t index) {
  const bool mag = (index & 1) == 0;
  float y = (mag ? gansynth::kMagnitudeScale : gansynth::kIfScale) * x +
            (mag ? gansynth::kMagnitudeShift : gansynth::kIfShift);
  return y < -1.0f ? -1.0f : (y > 1.0f ? 1.0f : y);
}

TIMBREL_HD float denormalize_element(float y, size_t index) {
  const bool mag = (index & 1) == 0;
  return (y - (mag ? gansynth::kMagnitudeShift : gansynth::kIfShift)) /
         (mag ? gansynth::kMagnitudeScale : gansynth::kIfScale);
}

}  // namespace timbrel::kernels
