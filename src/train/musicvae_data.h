#pragma once
// Training and evaluation data for MusicVAE: 2-bar windows of every MIDI file of a folder,
// split into train / validation by file.
#include <string>
#include <vector>

#include "music/file_split.h"
#include "timbrel/musicvae.h"

namespace timbrel::train {

struct WindowSet {
  std::vector<Tokens> windows;
  std::vector<StepChords> chords;  // each window's chords (chord-conditioned data), else empty
  std::vector<std::string> files;  // files that gave windows
};

struct Corpus {
  WindowSet train, validation;
  std::vector<std::string> failed;  // "file: problem" for files that could not be read
  size_t without_chords = 0;        // files skipped for having no chords (chord-conditioned data)
  std::string split_rule;           // how files were assigned, for the model card
};

// Chords [from, to) of windows' chords, like the windows they go with (none stay none).
inline std::vector<StepChords> slice_chords(const std::vector<StepChords>& chords, size_t from, size_t to) {
  return chords.empty() ? chords : std::vector<StepChords>(chords.begin() + long(from), chords.begin() + long(to));
}

// The split rule and file listing every trainer shares (music/file_split.h).
using timbrel::FileSplit;
using timbrel::list_midi_files;
using timbrel::split_files;

// How a file becomes windows. `steps`: window length (32 = 2 bars; a hierarchical model's 16
// bars = 256). `chords`: melody windows with each step's chord (lead_sheet.h: files without
// chords skipped). `gap_bars`: melodies end at rests this long (melody_windows; 0: never).
struct WindowRules {
  int steps = 32;
  bool chords = false;
  double gap_bars = 0;
};
// Throws an Error naming gap_bars unless it is 0..64, and 0 for drum models.
void check_gap_bars(double gap_bars, ModelKind kind);

// Windows of all files, every file in the validation set (evaluation).
Corpus load_all(const std::string& kind, const std::string& dir, const WindowRules& rules = {});
// Train/validation split: a Groove-style info.csv in `dir` (midi_filename, split columns:
// "train" -> train, "validation" -> validation, others unused) when present, else by a hash of
// the file's relative path (about `validation_fraction` of the files).
Corpus load_split(const std::string& kind, const std::string& dir, double validation_fraction = 0.1, const WindowRules& rules = {});

}  // namespace timbrel::train
