#pragma once
// MusicVAE training as Magenta's: reconstruction + beta * max(KL - free_bits ln 2, 0), beta
// annealed to max_beta, Adam with exponentially decaying learning rate, global-norm clipping,
// optional scheduled sampling; transposition augmentation for melodies.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/musicvae.h"
#include "train/musicvae_data.h"

namespace timbrel::train {

struct TrainOptions {
  std::string kind = "melody";
  std::vector<std::string> data_dirs;  // each a corpus: split by file on its own, scored on its own
  std::string out_dir;
  std::string from;             // initialise from this model (any format); "" = from scratch
  bool freeze_decoder = false;  // train only the encoder against the fixed decoder of `from`
  bool resume = false;          // continue from out_dir/checkpoint
  // Architecture when training from scratch (0 / empty: Magenta's small model).
  int z_size = 0;
  std::vector<int> encoder, decoder;
  int bars = 2;                    // > 2: a hierarchical model over this many bars (Magenta's hierdec)
  std::vector<int> conductor;      // its conductor LSTM sizes (default 256)
  std::vector<int> bar_encoder;    // its encoder over the bars (default 256; `encoder` runs per bar)
  bool flat_encoder = false;       // ... or Magenta's hierdec encoder over all steps at once
  // KL schedule overrides (< 0: the model's, i.e. Magenta's: melody free bits 0, drums 48;
  // max_beta 0.2; beta_rate 0.99999). Also applied when resuming or fine-tuning.
  double free_bits = -1, max_beta = -1, beta_rate = -1;
  int batch = 64;
  int64_t max_steps = 0;        // 0: until `minutes`
  double minutes = 0;           // wall-clock budget; 0: until max_steps
  double learning_rate = 1e-3, decay_rate = 0.9999, min_learning_rate = 1e-5;
  double clip_norm = 1.0;
  double sampling_rate = 0;     // inverse-sigmoid scheduled sampling rate (Magenta: 1000); 0 = off
  int transpose = -1;           // +/- semitones; -1 = 5 for melodies, 0 for drums
  double validation_fraction = 0.1;
  int checkpoint_every = 500;
  int threads = 1;
  uint64_t seed = 0;
  bool float16 = false;         // store the weights as float16
  std::string data_licence;     // written to the model card
  std::function<void(const std::string&)> log;       // lines worth keeping (checkpoints, notes); unset: dropped
  std::function<void(const std::string&)> progress;  // the running progress line; unset: every 50th-100th goes to log
};

struct TrainResult {
  int64_t steps = 0;
  double seconds = 0;
  double validation_accuracy = -1, train_accuracy = -1;
  double first_loss = 0, last_loss = 0;  // mean training loss of this run's first 10 / last 20 steps
  size_t train_windows = 0, validation_windows = 0;
  struct CorpusAccuracy {
    std::string folder;
    size_t validation_files = 0, validation_windows = 0;
    double validation_accuracy = -1;
  };
  std::vector<CorpusAccuracy> corpora;  // per data folder
};

TrainResult train_musicvae(const TrainOptions& options);

// Fraction of steps where argmax decoding of the encoder's mean equals the input (teacher-free),
// over all windows, in batches.
double token_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch = 256);

}  // namespace timbrel::train
