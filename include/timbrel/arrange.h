#pragma once
// Arranging a melody into a song: from the melody and its chords, a bass line (roots on chord
// changes and downbeats, fifths, approach notes into the next chord; its rhythm on the kick when
// the song has drums) and an accompaniment (block, broken or strummed chords, voiced close to the
// last chord and under the melody), each a track with its General MIDI program and level. And
// the measures that judge one: bass on root or fifth, voice movement, clashes between parts.
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/export.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

enum class AccompanimentStyle {
  Auto,      // by the meter and tempo (compound meters and slow songs broken, 3/4 on the off-beats, else block; strummed with drums)
  Block,     // the chord struck on beats (in 3/4: beats 2 and 3, the waltz's)
  Broken,    // arpeggiated in eighths (a beat's three eighths in 6/8)
  Strummed,  // a guitar's down and up strokes in eighths, strings a few milliseconds apart
};
TIMBREL_API AccompanimentStyle parse_accompaniment_style(const std::string& text, const std::string& parameter);
TIMBREL_API std::string to_string(AccompanimentStyle style);

// The levels an arrangement aims at beside the melody (arrange() estimates them from velocities
// and durations; Engine::balance_parts measures them as an engine plays them).
// generate --arrange sets the drums it made beside the melody too.
inline constexpr double kArrangedBassDb = -3, kArrangedAccompanimentDb = -6, kArrangedDrumsDb = -3;

// The names of the tracks arrange() adds (TrackInfo::name), by which the measures find them.
inline constexpr const char* kBassTrack = "Bass";
inline constexpr const char* kAccompanimentTrack = "Accompaniment";

struct ArrangeOptions {
  AccompanimentStyle style = AccompanimentStyle::Auto;
  bool bass = true, accompaniment = true;
  int bass_program = 33;           // General MIDI: Electric Bass (finger)
  int accompaniment_program = -1;  // -1: by style (Acoustic Grand Piano; Acoustic Guitar (steel) strummed)
  // Chords when the song has none (chord symbols or `chords` below): this harmoniser model
  // folder harmonises the melody; "" = the bundled models/harmonizer.
  std::string harmonizer_model;
  std::vector<ChordSpan> chords;   // given: these chords (quarter notes from the start) instead of the song's
};

struct ArrangeReport {
  AccompanimentStyle style = AccompanimentStyle::Block;  // the style played (Auto resolved)
  bool harmonized = false;          // the chords came from the harmoniser
  size_t chords = 0, bass_notes = 0, accompaniment_notes = 0;
};

// The song with its chords as chord symbols and a bass and an accompaniment track added (their
// own instruments and free channels; the melody and drums untouched). Chords: options.chords,
// else the song's chord symbols, else the harmoniser's. Errors name `song` (no pitched notes,
// no free channel) or the option.
TIMBREL_API NoteSequence arrange(const NoteSequence& song, const ArrangeOptions& options = {}, ArrangeReport* report = nullptr);

// How a song's parts sit together, beat by beat (its first time signature, bars where its chords
// change; strong beats: a bar's first and middle beats; a note is heard on a beat when it sounds
// there or starts within a tenth of a quarter note after it). Parts are instruments; the bass is the instrument with the lowest
// mean pitch among those that are not the first, the melody the first.
struct ArrangementScore {
  size_t downbeats = 0;            // downbeats with a chord and a bass note sounding
  double bass_root_or_fifth = 0;   // of those, the bass on the chord's root or fifth (or its slash bass)
  size_t chord_changes = 0;        // consecutive accompaniment chords (onsets with 2+ notes)
  double voice_movement = 0;       // mean semitones a voice moves between them (voices matched low to high)
  size_t strong_beats = 0;         // strong beats where two parts sound
  double clashes = 0;              // of those, the share with a minor second (or minor ninth, ...: 1, 13, 25 semitones) between parts
};
TIMBREL_API ArrangementScore score_arrangement(const NoteSequence& song);

// A folder of melodies with chords (as the harmoniser trains on) arranged with their own chords
// and scored, beside the data's own where it has it: ../chords-midi/NAME.mid (melody and block
// chords), else ../full/NAME.mid (POP909: the song's arrangement, on its beat grid). The same
// measures, summed over files (weighted by their counts).
struct ArrangementEvaluation {
  size_t files = 0, data_files = 0;
  size_t skipped = 0;  // files that could not be read or arranged
  ArrangementScore arranged, data;
};
TIMBREL_API ArrangementEvaluation evaluate_arrangement(const std::string& folder, const ArrangeOptions& options = {}, bool held_out = true,
                                                       double validation_fraction = 0.1);

}  // namespace timbrel
