#pragma once
// The parts an arrangement adds, in quarter notes on the song's meter (internal to arrange*.cpp).
#include <cmath>
#include <vector>

#include "timbrel/arrange.h"
#include "timbrel/harmony.h"

namespace timbrel::arrangement {

// A note of a part before it is placed in the song: quarter notes from the start.
struct PartNote {
  int pitch = 0, velocity = 0;
  double start = 0, end = 0;
};

// The melody as the accompaniment avoids it: its notes in quarter notes.
struct MelodyNote {
  int pitch = 0;
  double start = 0, end = 0;
};

// The bars of a meter in quarter notes: their length, where they start, and the start of the bar
// that holds a time.
struct BarGrid {
  double bar, origin;
  explicit BarGrid(const Meter& m) : bar(m.beats_per_bar * m.beat_quarters), origin(m.phase * m.beat_quarters) {}
  double bar_start(double t) const { return origin + std::floor((t - origin) / bar) * bar; }
};

// The tracks arrange() added to `song` (-1 where it has none).
struct ArrangedTracks {
  int bass = -1, accompaniment = -1;
};
ArrangedTracks arranged_tracks(const NoteSequence& song);

// The chord's fifth (or its diminished or augmented fifth) as a pitch class.
int fifth_of(const Chord& chord);

// Bass: the chord's bass (slash) or root on each chord change, roots on downbeats, fifths in the
// middle of even bars, a step into the next bass note on the last beat before it (a tone of the
// chord still sounding when one is a step away); on the kick's
// onsets instead when `kicks` (quarter notes) is not empty. Pitches 28..47, each close to the last.
std::vector<PartNote> bass_line(const std::vector<ChordSpan>& chords, const Meter& meter, const std::vector<double>& kicks);

// Accompaniment in `style` (not Auto): each chord voiced near the previous voicing, under the
// melody where the range allows, avoiding minor seconds against the other parts' notes (`others`:
// the melody first, its lowest note over a chord the voicing's ceiling, then the bass); a strum's
// strings 12 ms apart at `qpm`.
std::vector<PartNote> accompaniment(const std::vector<ChordSpan>& chords, const Meter& meter, AccompanimentStyle style,
                                    const std::vector<MelodyNote>& melody, const std::vector<MelodyNote>& bass, double qpm);

// Mean semitones a voice moves from voicing `a` to `b` (ascending): pairwise when they have as
// many voices, else each voice of the smaller to its nearest in the other.
double mean_voice_movement(const std::vector<int>& a, const std::vector<int>& b);

// A voicing of `chord` (ascending pitches in lo..hi): the chord's pitch classes (a triad's root
// doubled when `voices` is 4; one tone may be left out, at a cost, where it would clash), moving
// least from `previous`, its top under `ceiling` when it can, no minor second against `avoid`.
std::vector<int> voice_chord(const Chord& chord, const std::vector<int>& previous, int voices, int lo, int hi, int ceiling,
                             const std::vector<int>& avoid);

}  // namespace timbrel::arrangement
