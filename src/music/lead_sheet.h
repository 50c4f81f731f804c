#pragma once
// A melody and its chords from a training folder: chord text events in the MIDI file, else
// NAME.csv beside it, else the corpora's ../chords/NAME.csv; moved onto its beat grid when the
// folder has one (beat_grid.h).
#include <string>
#include <vector>

#include "music/beat_grid.h"
#include "timbrel/chords.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

struct LeadSheet {
  NoteSequence melody;
  std::vector<ChordSpan> chords;
};

// False when the file has no chords anywhere; Errors from reading the files pass through.
bool read_lead_sheet(const std::string& midi_path, const BeatGrids& grids, LeadSheet& out);

}  // namespace timbrel
