#pragma once
// Training, the library's door to every trainer: MusicVAE (flat and hierarchical), the event RNNs
// (Melody RNN, Drums RNN), the GANSynth-style timbre generator and DDSP. Each takes its
// `<Model>TrainOptions` and returns a `<Model>TrainReport`; progress and notes go to the options'
// `log` and `progress` callbacks (the library never prints). A run checkpoints into
// out_dir/checkpoint and `resume` continues it. Ranks of a data-parallel job are read from
// torchrun's environment variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/model_kind.h"

namespace timbrel {

// --- MusicVAE (`timbrel train melody|drums`): Magenta's recipe: reconstruction + beta * max(KL -
// free_bits ln 2, 0), beta annealed to max_beta, Adam with exponentially decaying learning rate,
// global-norm clipping, optional scheduled sampling; transposition augmentation for melodies.
struct MusicVaeTrainOptions {
  ModelKind kind = ModelKind::Melody;
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
  // Chord-conditioned (Magenta's mel_chords; 2-bar melodies): every step's chord read from the
  // lead sheets (chord text events, NAME.csv or ../chords/NAME.csv; files without are skipped)
  // beside the melody. `from` an unconditioned model widens it with zero weights for the chords.
  bool chords = false;
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
  // Melodies end at rests of this many bars or more (Magenta's gap_bars: 1), so no window spans
  // an interlude without melody (POP909's songs have many); 0: windows span rests (the 2-bar models' data).
  double gap_bars = 0;
  double validation_fraction = 0.1;
  int checkpoint_every = 500;
  int threads = 1;
  uint64_t seed = 0;
  bool float16 = false;         // store the weights as float16
  std::string data_licence;     // written to the model card
  std::function<void(const std::string&)> log;       // lines worth keeping (checkpoints, notes); unset: dropped
  std::function<void(const std::string&)> progress;  // the running progress line; unset: every 50th-100th goes to log
};

struct MusicVaeTrainReport {
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

TIMBREL_API MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& options);

// --- Event RNNs (`timbrel train melody-rnn|drums-rnn`): every file's events split by file per
// folder, windows starting on 2-bar boundaries, cross-entropy on the lookback labels, Adam.
struct EventRnnTrainOptions {
  ModelKind kind = ModelKind::Melody;
  std::vector<std::string> data_dirs;  // each a corpus, split and reported on its own
  std::string out_dir;
  bool resume = false;                 // continue from out_dir/checkpoint
  // Melodies over their chords (ImprovRNN's chord-pitches conditioning): each file's chord text
  // events, else its chords CSV (lead_sheet rules); files without chords are skipped.
  bool chords = false;
  std::string from;                    // start from this model's weights (an unconditioned one widens to take chords)
  std::vector<int> layers;             // empty: Magenta's (melody 128,128; drums 256,256,256); with `from`: its
  double dropout = 0.5;                // Magenta's keep probability 0.5
  int batch = 64;
  int window_steps = 128;              // 8 bars of sixteenths per training sequence
  int64_t max_steps = 0;               // total with --resume; 0: until `minutes`
  double minutes = 0;
  double learning_rate = 1e-3, clip_norm = 3.0;
  int transpose = -1;                  // +/- semitones; -1: 5 for melodies, 0 for drums
  double validation_fraction = 0.1;
  int checkpoint_every = 250;
  int threads = 1;
  uint64_t seed = 0;
  std::string data_licence;
  std::function<void(const std::string&)> log, progress;
};

// How continuations of held-out primers compare with what the pieces really do next: each file's
// first `primer_bars` bars continued for `bars` bars (4/4 files with notes in both stretches).
// Melody: share of notes in the primer's key (the major scale, or its relative minor, holding
// most of the primer's notes) for the continuation and for the file's real next bars; drums: hits
// per bar of both and the share of continuation onsets on the primer's sixteenth grid.
struct ContinuationScore {
  size_t files = 0, notes = 0, real_notes = 0;
  double in_key = -1, real_in_key = -1;        // melody
  // Melody notes per bar of the continuation, of the file's real next bars and of the primer.
  double notes_per_bar = -1, real_notes_per_bar = -1, primer_notes_per_bar = -1;
  // Melody over chords (files with chords): share of notes starting on a strong beat (beats 1
  // and 3) that are tones of the chord sounding there; a conditioned model plays the file's chords.
  double chord_tones = -1, real_chord_tones = -1;
  double hits_per_bar = -1, real_hits_per_bar = -1, on_grid = -1;  // drums
};
struct CorpusScore {
  std::string folder;
  size_t files = 0, windows = 0;
  double accuracy = -1;       // argmax == label, per step (teacher forced)
  double log_perplexity = -1; // mean negative log-likelihood per step (nats)
  ContinuationScore continuation;  // of the held-out files' primers
};

struct EventRnnTrainReport {
  int64_t steps = 0;
  double seconds = 0, first_loss = 0, last_loss = 0;
  size_t train_windows = 0;
  std::vector<CorpusScore> validation;  // per data folder
};

TIMBREL_API EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& options);

// --- Timbre generator (`timbrel train timbre`) on a note set (`timbrel dataset notes`): each
// preset owns a learned latent (its timbre embedding); L1 on the IF-mel spectrogram.
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

struct TimbreTrainReport {
  int64_t steps = 0;
  double seconds = 0;
  double first_loss = 0, last_loss = 0, validation_loss = -1;
  size_t train_notes = 0, validation_notes = 0, presets = 0;
};

TIMBREL_API TimbreTrainReport train_timbre(const TimbreTrainOptions& options);

// --- DDSP decoder (`timbrel train ddsp`) on a note set, through the differentiable harmonic +
// filtered-noise synthesizers with DDSP's multi-scale spectral loss.
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

struct DdspTrainReport {
  int64_t steps = 0;
  double seconds = 0, first_loss = 0, last_loss = 0, validation_loss = -1;
  size_t train_notes = 0, validation_notes = 0, presets = 0;
};

TIMBREL_API DdspTrainReport train_ddsp(const DdspTrainOptions& options);

// --- GrooVAE (`timbrel train groove`): 2-bar windows (hop one bar) of drum performances; the
// encoder reads the task's view (humanize: the hits alone; drumify: taps), the decoder plays the
// performance; loss = hit cross-entropy + velocity and offset squared errors where the drummer hit
// + beta * max(KL - free_bits ln 2, 0); Adam with exponentially decaying learning rate.
struct GrooveTrainOptions {
  std::string task = "humanize";       // or "drumify"
  std::vector<std::string> data_dirs;  // Groove MIDI (its info.csv split) or folders of drum MIDI files
  std::string out_dir;
  std::string from;                    // a groove model folder to fine-tune (its task and sizes; at a fifth of learning_rate)
  bool resume = false;                 // continue from out_dir/checkpoint
  int z_size = 128, encoder_units = 256, decoder_units = 256, decoder_layers = 2;  // from scratch
  double max_beta = 0.2, free_bits = 48;
  // drumify: each window drops up to this share of its notes before they become taps (Magenta's
  // note dropout), so that a sparse tapping still reads as a beat.
  double max_tap_dropout = 0.5;
  int batch = 64;
  int64_t max_steps = 0;  // 0: until `minutes`
  double minutes = 0;
  double learning_rate = 1e-3, decay_rate = 0.9999, min_learning_rate = 1e-5, clip_norm = 1.0;
  double validation_fraction = 0.1;  // folders without info.csv
  int checkpoint_every = 500;
  int threads = 1;
  uint64_t seed = 0;
  std::string data_licence;
  std::function<void(const std::string&)> log, progress;
};

struct GrooveTrainReport {
  int64_t steps = 0;
  double seconds = 0, first_loss = 0, last_loss = 0;
  double validation_loss = -1;  // per window, the training loss's reconstruction part
  size_t train_windows = 0, validation_windows = 0;
};

TIMBREL_API GrooveTrainReport train_groove(const GrooveTrainOptions& options);

}  // namespace timbrel
