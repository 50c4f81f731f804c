#pragma once
// Training and evaluation data for MusicVAE: 2-bar windows of every MIDI file of a folder,
// split into train / validation by file.
#include <string>
#include <vector>

#include "timbrel/musicvae.h"

namespace timbrel::train {

struct WindowSet {
  std::vector<Tokens> windows;
  std::vector<std::string> files;  // files that gave windows
};

struct Corpus {
  WindowSet train, validation;
  std::vector<std::string> failed;  // "file: problem" for files that could not be read
  std::string split_rule;           // how files were assigned, for the model card
};

// MIDI files (.mid/.midi) under `dir`, sorted. Throws Error when there is none.
std::vector<std::string> list_midi_files(const std::string& dir);

// The files of a folder split by file, as load_split does (trainers of other sequence models
// share the rule).
struct FileSplit {
  std::vector<std::string> train, validation;
  std::string rule;  // how files were assigned, for the model card
};
FileSplit split_files(const std::string& dir, double validation_fraction = 0.1);

// Windows of all files, every file in the validation set (evaluation).
// `steps`: window length (32 = 2 bars; a hierarchical model's 16 bars = 256), hop half of it.
Corpus load_all(const std::string& kind, const std::string& dir, int steps = 32);
// Train/validation split: a Groove-style info.csv in `dir` (midi_filename, split columns:
// "train" -> train, "validation" -> validation, others unused) when present, else by a hash of
// the file's relative path (about `validation_fraction` of the files).
Corpus load_split(const std::string& kind, const std::string& dir, double validation_fraction = 0.1, int steps = 32);

}  // namespace timbrel::train
