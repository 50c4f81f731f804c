#pragma once
// `timbrel train ddsp`: a DDSP decoder (dilated convolutions, per-frame norm, one learned
// embedding per preset at its input) trained on a note set (`timbrel dataset notes`: SoundFont
// notes or a user's recordings) through the differentiable harmonic + filtered-noise synthesizers,
// with DDSP's multi-scale spectral loss. Controls are the note's pitch as f0 and DDSP's A-weighted
// loudness of the note itself, on random 1 s crops. The card records the presets (with their GM
// programs), the loudness and pitch statistics the renderer places notes with, and the recipe.
#include <cstdint>
#include <functional>
#include <string>

#include "timbrel/train.h"

namespace timbrel::train {

DdspTrainReport train_ddsp(const DdspTrainOptions& options);

}  // namespace timbrel::train
