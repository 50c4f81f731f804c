#include "train/musicvae_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "music/beat_grid.h"
#include "music/lead_sheet.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;

// The windows of one file (with their chords when `chords`); false when it has no chords.
bool file_windows(const std::string& kind, const std::string& path, const BeatGrids& grids, const WindowRules& rules,
                  std::vector<Tokens>& windows, std::vector<StepChords>& step_chords) {
  const int steps = rules.steps;
  if (!rules.chords) {
    windows = windows_for(parse_model_kind(kind), read_midi_on_grid(path, grids), steps, rules.gap_bars);
    return true;
  }
  LeadSheet sheet;
  if (!read_lead_sheet(path, grids, sheet)) return false;
  set_chords(sheet.melody, sheet.chords);
  windows = melody_windows_with_chords(sheet.melody, step_chords, steps, rules.gap_bars);
  return true;
}

void add_file(const std::string& kind, const std::string& path, const BeatGrids& grids, WindowSet& set, Corpus& corpus,
              const WindowRules& rules) {
  try {
    std::vector<Tokens> w;
    std::vector<StepChords> c;
    if (!file_windows(kind, path, grids, rules, w, c)) {
      ++corpus.without_chords;
      return;
    }
    if (w.empty()) return;
    set.files.push_back(path);
    set.windows.insert(set.windows.end(), w.begin(), w.end());
    set.chords.insert(set.chords.end(), c.begin(), c.end());
  } catch (const Error& e) {
    corpus.failed.push_back(e.what());
  }
}

}  // namespace


Corpus load_all(const std::string& kind, const std::string& dir, const WindowRules& rules) {
  Corpus c;
  const BeatGrids grids(dir);
  for (const auto& f : list_midi_files(dir)) add_file(kind, f, grids, c.validation, c, rules);
  c.split_rule = "all files";
  return c;
}


Corpus load_split(const std::string& kind, const std::string& dir, double validation_fraction, const WindowRules& rules) {
  Corpus c;
  FileSplit split = split_files(dir, validation_fraction);
  c.split_rule = split.rule;
  const BeatGrids grids(dir);
  for (const auto& f : split.train) add_file(kind, f, grids, c.train, c, rules);
  for (const auto& f : split.validation) add_file(kind, f, grids, c.validation, c, rules);
  return c;
}

void check_gap_bars(double gap_bars, ModelKind kind) {
  if (!(gap_bars >= 0 && gap_bars <= 64)) throw Error("gap_bars", "must be 0 (windows span rests) .. 64 bars");
  if (gap_bars > 0 && kind != ModelKind::Melody) throw Error("gap_bars", "splits melodies (drum windows skip empty ones already)");
}

}  // namespace timbrel::train
