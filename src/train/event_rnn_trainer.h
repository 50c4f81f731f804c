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

#include "music/beat_grid.h"
#include "timbrel/event_rnn.h"

#include "timbrel/train.h"

namespace timbrel::train {

EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& options);

// Teacher-forced accuracy and log-perplexity of `model` on the windows of every MIDI file under
// `dir` (evaluation of a trained model on any folder).
CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, int window_steps = 128);
// The same on `files` of the folder `dir` (its beat grids).
CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, const std::vector<std::string>& files, int window_steps = 128);

// The JSON of a score, as model cards and `eval` print it.
// `about`: what was measured ("" = the trainer's: continuation_about(4, 4, 1, "held-out ")).
nlohmann::json continuation_json(const ContinuationScore& score, const std::string& about = "");
// What score_continuations measured, in words.
// `chord_guidance`: the guidance a chord model played with (< 0: not a chord model, unsaid).
// `which_files`: "held-out ", "training " or "" (all).
std::string continuation_about(int primer_bars, int bars, double temperature, const std::string& which_files, double chord_guidance = -1);
// `grids`: the files' folder's beat grids (music/beat_grid.h).
ContinuationScore score_continuations(const EventRnn& model, const std::vector<std::string>& files, const BeatGrids& grids, int primer_bars = 4, int bars = 4,
                                      double temperature = 1.0, uint64_t seed = 0, double chord_guidance = -1);

// The major key (tonic pitch class 0..11) whose scale holds most of the melody notes (-1: none).
int estimate_key(const std::vector<int>& pitches);
int estimate_key(const std::vector<Note>& notes);
bool in_major_scale(int pitch, int tonic);

}  // namespace timbrel::train
