#pragma once
// Songs whose MIDI follows a recording, so that their beats are offset from tick 0 (POP909): a
// folder's grid table, and moving a song and its chords onto its grid.
#include <map>
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

struct BeatGrid {
  double offset = 0;      // quarter notes from the file's start to its first beat
  int bar_quarters = 0;   // quarter notes in a bar (the file's own time signature when 0)
  double first_bar = -1;  // quarter notes to its first downbeat (-1: not known)
  // Where the grid puts time 0: the last bar line at or before the file's start when the bars
  // are known (a pickup before it is dropped: under a bar), else the first beat.
  double shift() const;
};

// The grids of a folder's songs, from a POP909-style info.csv in the folder or its parent
// (columns song and beat_offset; bar_beats and first_downbeat when it has them; a song is a
// file's name without extension). Empty when there is none; throws an Error naming the file and
// line for a malformed row.
class BeatGrids {
 public:
  explicit BeatGrids(const std::string& folder);
  const BeatGrid* find(const std::string& midi_path) const;  // nullptr: the file is on its grid
  bool empty() const { return grids_.empty(); }

 private:
  std::map<std::string, BeatGrid> grids_;
};

// Shifts everything `grid.shift()` quarter notes earlier (what falls before is dropped or starts
// at 0) and, when the grid knows the bar, sets one time signature of bar_quarters/4.
void align_to_grid(NoteSequence& seq, std::vector<ChordSpan>& chords, const BeatGrid& grid);

// Starts a song at the bar (of its first time signature, along its tempo map) of its first note of
// that kind (drum or not, any track), with its chords: pop songs open with bars where only the
// accompaniment plays.
void start_at_first_note_bar(NoteSequence& seq, std::vector<ChordSpan>& chords, bool drums);

// A MIDI file moved onto its beat grid when `grids` (its folder's) has one for it; else as
// read_midi reads it. What the trainers and their evaluations read.
NoteSequence read_midi_on_grid(const std::string& path, const BeatGrids& grids);

}  // namespace timbrel
