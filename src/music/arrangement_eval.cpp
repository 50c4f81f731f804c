// evaluate_arrangement(): a folder's melodies arranged with their chords, beside the data's own
// (chord renders, or full arrangements).
#include <filesystem>

#include "music/file_split.h"
#include "music/lead_sheet.h"
#include "timbrel/arrange.h"
#include "timbrel/error.h"
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
    ArrangeOptions o = options;
    try {
      if (!read_lead_sheet(f, grids, sheet)) continue;
      o.chords = sheet.chords;
      accumulate(e.arranged, score_arrangement(arrange(sheet.melody, o)));
    } catch (const Error&) {
      ++e.skipped;  // an unreadable file, or one without a melody: counted, not fatal
      continue;
    }
    ++e.files;
    // The data's own: a chords render beside the melody, or (POP909) the song's full arrangement.
    const fs::path corpus = fs::path(f).parent_path().parent_path(), name = fs::path(f).filename();
    std::error_code ec;
    const bool rendered = fs::exists(corpus / "chords-midi" / name, ec), full = !rendered && fs::exists(corpus / "full" / name, ec);
    if (!rendered && !full) continue;
    NoteSequence data;
    try {
      data = read_midi((corpus / (rendered ? "chords-midi" : "full") / name).string());
    } catch (const Error&) {
      continue;
    }
    std::vector<ChordSpan> unused;
    if (const BeatGrid* grid = grids.find(f)) align_to_grid(data, unused, *grid);  // as its melody was
    set_chords(data, sheet.chords);
    accumulate(e.data, score_arrangement(data));
    ++e.data_files;
  }
  return e;
}

}  // namespace timbrel
