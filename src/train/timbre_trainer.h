#pragma once
// Training the timbre generator on a note set (`timbrel dataset notes`): an NSynth-style
// conditional decoder. Each training preset owns a learned latent vector (its timbre embedding);
// the GANSynth generator maps (embedding, pitch) to the IF-mel spectrogram and is trained with an
// L1 reconstruction loss on both channels (the IF error weighted by the true magnitude, where IF
// is audible). A learned per-pitch output bias (pitch template, own learning rate) gives every
// pitch its harmonic comb from the first steps. The embeddings become the model's presets, and
// `seed:N` timbres are drawn from a Gaussian fitted to them.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "timbrel/train.h"

namespace timbrel::train {

TimbreTrainReport train_timbre(const TimbreTrainOptions& options);

}  // namespace timbrel::train
