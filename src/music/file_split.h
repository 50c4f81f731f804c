#pragma once
#include <string>
#include <vector>

namespace timbrel {

// MIDI files (.mid/.midi) under `dir`, sorted. Throws Error when there is none.
std::vector<std::string> list_midi_files(const std::string& dir);

// The files of a folder split by file, as load_split does (every trainer shares the rule).
struct FileSplit {
  std::vector<std::string> train, validation;
  std::string rule;  // how files were assigned, for the model card
};
FileSplit split_files(const std::string& dir, double validation_fraction = 0.1);

}  // namespace timbrel
