#pragma once
// Training the event RNNs (Melody RNN, Drums RNN) on MIDI folders: every file's events (melody:
// the extracted line moved into the model's range; drums: the nine-class masks), split by file
// per folder, cut into windows that start on 2-bar boundaries; cross-entropy on the lookback
// labels (padding masked), Adam, global-norm clipping, transposition augmentation for melodies.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "timbrel/event_rnn.h"

namespace timbrel::train {

struct EventRnnTrainOptions {
  std::string kind = "melody";         // "melody" or "drums"
  std::vector<std::string> data_dirs;  // each a corpus, split and reported on its own
  std::string out_dir;
  bool resume = false;                 // continue from out_dir/checkpoint
  std::vector<int> layers;             // empty: Magenta's (melody 128,128; drums 256,256,256)
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
  double hits_per_bar = -1, real_hits_per_bar = -1, on_grid = -1;  // drums
};
struct CorpusScore {
  std::string folder;
  size_t files = 0, windows = 0;
  double accuracy = -1;       // argmax == label, per step (teacher forced)
  double log_perplexity = -1; // mean negative log-likelihood per step (nats)
  ContinuationScore continuation;  // of the held-out files' primers
};

struct EventRnnTrainResult {
  int64_t steps = 0;
  double seconds = 0, first_loss = 0, last_loss = 0;
  size_t train_windows = 0;
  std::vector<CorpusScore> validation;  // per data folder
};

EventRnnTrainResult train_event_rnn(const EventRnnTrainOptions& options);

// Teacher-forced accuracy and log-perplexity of `model` on the windows of every MIDI file under
// `dir` (evaluation of a trained model on any folder).
CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, int window_steps = 128);

// The JSON of a score, as model cards and `eval` print it.
nlohmann::json continuation_json(const ContinuationScore& score);
ContinuationScore score_continuations(const EventRnn& model, const std::vector<std::string>& files, int primer_bars = 4, int bars = 4,
                                      double temperature = 1.0, uint64_t seed = 0);

// The major key (tonic pitch class 0..11) whose scale holds most of the melody notes (-1: none).
int estimate_key(const std::vector<int>& pitches);
int estimate_key(const std::vector<Note>& notes);
bool in_major_scale(int pitch, int tonic);

}  // namespace timbrel::train
