// Reading a melody with its chords, wherever a folder keeps them.
#include "music/lead_sheet.h"

#include <filesystem>

#include "timbrel/music.h"

namespace timbrel {

bool read_lead_sheet(const std::string& midi_path, const BeatGrids& grids, LeadSheet& out) {
  namespace fs = std::filesystem;
  out.melody = read_midi(midi_path);
  out.chords = chord_spans(out.melody);
  const fs::path p(midi_path);
  std::error_code ec;
  for (const fs::path& csv : {fs::path(p).replace_extension(".csv"), p.parent_path().parent_path() / "chords" / p.stem().concat(".csv")})
    if (out.chords.empty() && fs::exists(csv, ec)) out.chords = read_chords_csv(csv.string());
  if (const BeatGrid* grid = grids.find(midi_path)) align_to_grid(out.melody, out.chords, *grid);
  return !out.chords.empty();
}

}  // namespace timbrel
