#include "train/musicvae_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "music/beat_grid.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;

void add_file(const std::string& kind, const std::string& path, const BeatGrids& grids, WindowSet& set, Corpus& corpus, int steps) {
  try {
    auto w = windows_for(parse_model_kind(kind), read_midi_on_grid(path, grids), steps);
    if (w.empty()) return;
    set.files.push_back(path);
    set.windows.insert(set.windows.end(), w.begin(), w.end());
  } catch (const Error& e) {
    corpus.failed.push_back(e.what());
  }
}

}  // namespace


Corpus load_all(const std::string& kind, const std::string& dir, int steps) {
  Corpus c;
  const BeatGrids grids(dir);
  for (const auto& f : list_midi_files(dir)) add_file(kind, f, grids, c.validation, c, steps);
  c.split_rule = "all files";
  return c;
}


Corpus load_split(const std::string& kind, const std::string& dir, double validation_fraction, int steps) {
  Corpus c;
  FileSplit split = split_files(dir, validation_fraction);
  c.split_rule = split.rule;
  const BeatGrids grids(dir);
  for (const auto& f : split.train) add_file(kind, f, grids, c.train, c, steps);
  for (const auto& f : split.validation) add_file(kind, f, grids, c.validation, c, steps);
  return c;
}

}  // namespace timbrel::train
