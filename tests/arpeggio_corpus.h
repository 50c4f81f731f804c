#pragma once
// Lead sheets for the chord-conditioned models' tests: melodies that cannot be guessed without
// their chords, and how many of a melody's strong-beat notes are chord tones.
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/note_sequence.h"

namespace timbrel::test {

// `folder` (under the test's temp dir) with 8 files of 8 bars: each bar a random chord of C major
// (C F G Am Dm Em, drawn from `seed`), its melody the chord's root, third, root and fifth on the
// beats. Even files carry their chords as text events, odd ones in NAME.csv beside them.
std::string arpeggio_corpus(const std::string& folder, unsigned seed);

// Share of the notes on beats 1 and 3 (at `qpm`) whose pitch class is a tone of the chord there.
double strong_beat_chord_tones(const std::vector<Note>& notes, const std::vector<ChordSpan>& chords, double qpm);

}  // namespace timbrel::test
