// evaluate_arrangement(): a folder's melodies arranged with their chords, beside its chord renders.
#include <filesystem>

#include "music/file_split.h"
#include "music/lead_sheet.h"
#include "timbrel/arrange.h"
#include "timbrel/music.h"

namespace timbrel {
namespace {

// Adds `s` to the running sums in `into` (each mean weighted by its count).
void accumulate(ArrangementScore& into, const ArrangementScore& s) {
  auto mix = [](double& mean, size_t& count, double value, size_t n) {
    if (count + n) mean = (mean * double(count) + value * double(n)) / double(count + n);
    count += n;
  };
  size_t changes = into.chord_changes, strong = into.strong_beats;
  mix(into.bass_root_or_fifth, into.downbeats, s.bass_root_or_fifth, s.downbeats);
  mix(into.voice_movement, changes, s.voice_movement, s.chord_changes);
  mix(into.clashes, strong, s.clashes, s.strong_beats);
  into.chord_changes = changes, into.strong_beats = strong;
}

}  // namespace

ArrangementEvaluation evaluate_arrangement(const std::string& folder, const ArrangeOptions& options, bool held_out, double validation_fraction) {
  namespace fs = std::filesystem;
  const FileSplit split = split_files(folder, validation_fraction);
  std::vector<std::string> files = split.validation;
  if (!held_out) files.insert(files.end(), split.train.begin(), split.train.end());
  const BeatGrids grids(folder);
  ArrangementEvaluation e;
  for (const std::string& f : files) {
    LeadSheet sheet;
    if (!read_lead_sheet(f, grids, sheet)) continue;
    ArrangeOptions o = options;
    o.chords = sheet.chords;
    accumulate(e.arranged, score_arrangement(arrange(sheet.melody, o)));
    ++e.files;
    const fs::path render = fs::path(f).parent_path().parent_path() / "chords-midi" / fs::path(f).filename();
    std::error_code ec;
    if (!fs::exists(render, ec)) continue;
    NoteSequence data = read_midi(render.string());
    set_chords(data, sheet.chords);
    accumulate(e.data, score_arrangement(data));
    ++e.data_files;
  }
  return e;
}

}  // namespace timbrel
