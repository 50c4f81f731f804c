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

namespace timbrel::train {

struct DdspTrainOptions {
  std::string data_dir, out_dir;
  bool resume = false;
  int channels = 96, layers = 8, embedding = 16;  // dilations 1..128 once: a ~2 s receptive field
  int batch = 16;
  double crop_seconds = 1.0;
  int64_t max_steps = 0;
  double minutes = 0;
  double learning_rate = 1e-3, min_lr_fraction = 0.1;  // cosine decay
  // The first steps train through the harmonic synthesizer alone: with the noise on from the start
  // the noise learns the spectral envelope first and the harmonic amplitude can sink into
  // exp_sigmoid's flat floor, where no gradient brings it back (seen on 22 GM presets).
  int64_t harmonic_warmup_steps = 300;
  int validate_every = 200, checkpoint_every = 200;
  int threads = 2;
  uint64_t seed = 0;
  std::string data_licence;
  std::function<void(const std::string&)> log, progress;
};

struct DdspTrainResult {
  int64_t steps = 0;
  double seconds = 0, first_loss = 0, last_loss = 0, validation_loss = -1;
  size_t train_notes = 0, validation_notes = 0, presets = 0;
};

DdspTrainResult train_ddsp(const DdspTrainOptions& options);

}  // namespace timbrel::train
