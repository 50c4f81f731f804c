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

namespace timbrel::train {

struct TimbreTrainOptions {
  std::string data_dir, out_dir;
  bool resume = false;  // continue from out_dir/checkpoint
  std::string from;     // fine-tune: weights and preset embeddings of this model folder (new optimiser)
  // Architecture (new models only): GANSynth widths of blocks 1..7, latent size, extensions.
  std::vector<int> channels{64, 64, 64, 64, 32, 16, 8};
  int latent_size = 256;
  bool pitch_template = true;
  int time_depth_blocks = 2;
  int batch = 16;
  int64_t max_steps = 0;  // 0: until `minutes`
  double minutes = 0;     // wall-clock budget of this run; 0: until max_steps
  double learning_rate = 1e-3, template_lr_scale = 20, min_lr_fraction = 0.1;  // cosine decay to 10%
  double if_weight = 1.0;
  double loud_weight = 0;    // magnitude error weighted towards loud bins (timbre_generator.h)
  double linear_weight = 0;  // spectral convergence of linear magnitudes (timbre_generator.h)
  double band_weight = 0;    // log band-energy envelope (timbre_generator.h)
  double band_floor_db = 70; // ... within this far below the note's loudest bin (band and flux)
  double flux_weight = 0;    // frame-to-frame change of the log band energies (timbre_generator.h)
  // Presets drawn this many times as often as the others (1); e.g. the kit songs play.
  std::map<std::string, double> preset_weights;
  int validate_every = 250, checkpoint_every = 250;
  int threads = 2;
  uint64_t seed = 0;
  bool float16 = false;
  std::string data_licence;
  std::function<void(const std::string&)> log;       // lines worth keeping (checkpoints, notes); unset: dropped
  std::function<void(const std::string&)> progress;  // the running progress line; unset: every 50th-100th goes to log
};

struct TimbreTrainResult {
  int64_t steps = 0;
  double seconds = 0;
  double first_loss = 0, last_loss = 0, validation_loss = -1;
  size_t train_notes = 0, validation_notes = 0, presets = 0;
};

TimbreTrainResult train_timbre(const TimbreTrainOptions& options);

}  // namespace timbrel::train
