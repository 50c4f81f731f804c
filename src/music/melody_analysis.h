#pragma once
// What the harmoniser reads of a melody: pitch-class time per quarter-note beat, and each beat's
// place in the bar (internal to harmony*.cpp).
#include <array>
#include <vector>

#include "timbrel/harmony.h"

namespace timbrel::harmony {

using PitchTime = std::array<double, 12>;  // beats of each pitch class
inline constexpr double kMaxBeats = 100000;  // quarter notes: about 14 hours at 120 a minute
inline constexpr int kMaxBeatsPerBar = 16;

// Every beat of `meter` from 0 to the end of the music: the time each pitch class sounds in it
// (drums left out). Throws an Error naming the melody for a pitch outside 0..127 or a length past
// kMaxBeats quarter notes.
std::vector<PitchTime> beat_pitch_time(const NoteSequence& seq, const Meter& meter);
// 0 on a bar's first beat, 1 on the middle beat of an even bar, 2 elsewhere.
int beat_position(const Meter& meter, int beat);
inline constexpr int kPositions = 3;

// The chord (Magenta's triad class) sounding a quarter of a beat into each of `beats` beats.
std::vector<int> triad_per_beat(const std::vector<ChordSpan>& chords, int beats, const Meter& meter);
// The meter of a song whose chords are known: bars start where most chord changes fall (ties:
// the file's own bar lines, phase 0); the melody's estimate when the chords never change.
Meter meter_of_chords(const NoteSequence& seq, const std::vector<ChordSpan>& chords);

// Spans of equal classes, one per run of beats (in quarter notes).
std::vector<ChordSpan> spans_of(const std::vector<int>& classes, const Meter& meter);

}  // namespace timbrel::harmony
