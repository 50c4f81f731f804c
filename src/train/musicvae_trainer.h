#pragma once
// MusicVAE training as Magenta's: reconstruction + beta * max(KL - free_bits ln 2, 0), beta
// annealed to max_beta, Adam with exponentially decaying learning rate, global-norm clipping,
// optional scheduled sampling; transposition augmentation for melodies.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/musicvae.h"
#include "timbrel/train.h"
#include "train/musicvae_data.h"

namespace timbrel::train {

MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& options);

// Fraction of steps where argmax decoding of the encoder's mean equals the input (teacher-free),
// over all windows, in batches.
// `chords`: each window's (a chord-conditioned model).
double token_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch = 256,
                      const std::vector<StepChords>& chords = {});

}  // namespace timbrel::train
