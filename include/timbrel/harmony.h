#pragma once
// Harmonising a melody: chords per beat from a model trained on chord-annotated melodies (a
// hidden Markov model over 48 triads and no-chord: a small network reads the melody around each
// beat, progressions are learned relative to the tune's key and chord changes by position in the
// bar), and the rule baseline it must beat
// (per bar, the diatonic triad holding the most melody time on its tones).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/export.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

// A key: tonic pitch class and mode, estimated from a melody's pitch classes (Krumhansl-Kessler
// profiles, durations weighted).
struct Key {
  int tonic = 0;
  bool minor = false;
};
TIMBREL_API Key estimate_key(const NoteSequence& seq);
TIMBREL_API std::string key_name(const Key& key);  // "G major", "E minor"

// A melody's beats and bars, from its first time signature: a beat is a quarter note, or a
// dotted quarter in compound meters (6/8, 9/8, 12/8); the beat on which bars start (0 ..
// beats_per_bar - 1: a pickup's length) is estimated from where its long notes start.
struct Meter {
  int beats_per_bar = 4;
  double beat_quarters = 1.0;
  int phase = 0;
};
TIMBREL_API Meter estimate_meter(const NoteSequence& seq);

struct HarmonyTraining {
  std::vector<std::string> data;  // folders of MIDI files with chords (text events, NAME.csv beside, or ../chords/NAME.csv)
  double validation_fraction = 0.1;  // held out by file, as the other trainers split
  std::string from;                  // a model folder to start from (e.g. the bundled one): a few songs adjust it
  int ensemble = 1;                  // melody networks trained from different seeds, their chord probabilities averaged
  std::function<void(const std::string&)> log;
};

// Per-beat accuracy (Meter's beats) of chord root and triad quality on beats whose truth has a chord.
struct HarmonyScore {
  size_t files = 0, beats = 0;
  double model = 0, baseline = 0;  // fraction of beats right: the model, the rule baseline
};

class TIMBREL_API Harmonizer {
 public:
  // A model folder (model.json) written by save().
  static Harmonizer load(const std::string& folder);
  // Trains on the training files of `t.data`; `held_out` (if given) gets each folder's score on
  // its validation files. Seconds for a folder of songs on a CPU, minutes for the corpora.
  static Harmonizer train(const HarmonyTraining& t, std::vector<std::pair<std::string, HarmonyScore>>* held_out = nullptr);
  void save(const std::string& folder) const;  // atomically

  // Chords for `melody`, one per beat at most (a chord lasts while it does not change), in the
  // melody's estimated key; spans in quarter notes from the start of the file.
  std::vector<ChordSpan> harmonize(const NoteSequence& melody) const;
  // The model and the rule baseline against the chords of the MIDI files under `folder` (the
  // validation files only when `held_out`, with the trainers' split rule).
  HarmonyScore evaluate(const std::string& folder, bool held_out, double validation_fraction = 0.1) const;

  struct Tables;
  struct Tune;
  Harmonizer();
  ~Harmonizer();
  Harmonizer(Harmonizer&&) noexcept;
  Harmonizer& operator=(Harmonizer&&) noexcept;

 private:
  void choose_weights(const std::vector<std::vector<Tune>>& folders);
  std::unique_ptr<Tables> t_;
};

// The rule baseline: per bar, the diatonic triad of the estimated key with the most melody time on
// its tones (ties: I, V, IV, vi, ii, iii, vii in that order).
TIMBREL_API std::vector<ChordSpan> harmonize_by_rule(const NoteSequence& melody);

}  // namespace timbrel
