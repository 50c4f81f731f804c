#pragma once
// Chords as data: chord symbols, their vocabulary and encodings (Magenta's chord-pitches and
// triad one-hot encodings), the corpora's chords CSV, and chord symbols inside a NoteSequence
// (text annotations, written to and read from MIDI as text events).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

// The kinds the corpora's chords CSV names (../shared/data/README.md: a chord's pitch-class set
// reduced to the exact template, else the largest template it contains).
enum class ChordKind {
  Major, Minor, Dominant7, Major7, Minor7, Diminished, Diminished7, HalfDiminished,
  Augmented, Sus4, Sus2, Major6, Minor6, Dominant9, Power, Other
};
inline constexpr int kChordKinds = 16;

// A chord: root and bass pitch classes 0..11 (C = 0) and its kind; root -1 = no chord (N.C.).
struct Chord {
  int root = -1;
  ChordKind kind = ChordKind::Major;
  int bass = -1;  // the root unless a slash chord
  bool is_none() const { return root < 0; }
  bool operator==(const Chord& o) const {
    return root == o.root && (root < 0 || (kind == o.kind && bass == o.bass));
  }
  bool operator!=(const Chord& o) const { return !(*this == o); }
};

// "major", "minor", "dominant7", ... (the CSV's spelling) and back; unknown names throw an Error.
TIMBREL_API const char* chord_kind_name(ChordKind kind);
TIMBREL_API ChordKind chord_kind_from_name(const std::string& name);

// A chord symbol as lead sheets write it: root letter with # or b, a quality (m, min, -, 7, maj7,
// M7, Δ, m7, dim, o, dim7, o7, m7b5, ø, aug, +, sus4, sus2, sus, 6, m6, 9, 5, 2 and 4 (added
// notes), and extensions such as 7b9, 13, add9 reduced to the kind they contain; "maj" and "M"
// alone are the major triad), an optional /bass; "N.C.", "NC" or "N" for no chord. Throws an
// Error naming `symbol` when it is not one.
TIMBREL_API Chord parse_chord(const std::string& symbol);
// The plain symbol of `chord` ("C", "Am", "G7", "D/F#", "F#m7b5", "N.C."); sharps for black keys.
TIMBREL_API std::string chord_symbol(const Chord& chord);
// The pitch classes of its kind's template on the root, ascending (a slash chord's bass is not
// added: Magenta's chord_symbol_pitches; the bass has its own slot in encode_chord_pitches).
TIMBREL_API std::vector<int> chord_pitch_classes(const Chord& chord);

// The chord `semitones` higher (root and bass; N.C. stays N.C.).
TIMBREL_API Chord transpose_chord(const Chord& chord, int semitones);

// Magenta's chord-pitches encoding (PitchChordsEncoderDecoder, ImprovRNN's conditioning): 37
// values, [0] no chord, [1 + root], [13 + each pitch class], [25 + bass].
inline constexpr int kChordPitchesDepth = 37;
TIMBREL_API std::array<float, kChordPitchesDepth> encode_chord_pitches(const Chord& chord);
// Magenta's TriadChordOneHotEncoding (MusicVAE's chord-conditioned models): 49 classes, 0 = no
// chord, 1 + 12 * triad + root with triads major, minor, augmented, diminished (a chord maps to
// the triad it contains: sevenths to theirs, sus and power chords to major).
inline constexpr int kTriadClasses = 49;
TIMBREL_API int triad_class(const Chord& chord);
TIMBREL_API Chord triad_chord(int triad_class);  // throws an Error outside 0..48

// One row of a chords CSV (start_beat,end_beat,root,kind,bass,symbol): beats are quarter notes
// from the start of the MIDI file.
struct ChordSpan {
  double start_beat = 0, end_beat = 0;
  Chord chord;
  std::string symbol;  // as written (e.g. "G7b9"); chord is what it reduces to
};

// The chords CSV beside a melody (the corpora's, or a user's: the same columns; root, kind and
// bass may be empty when the symbol says it). Throws an Error naming the file and line.
TIMBREL_API std::vector<ChordSpan> read_chords_csv(const std::string& path);
TIMBREL_API void write_chords_csv(const std::vector<ChordSpan>& chords, const std::string& path);

// A progression as a musician types it: bars separated by spaces, each one chord symbol or
// several joined by commas that share the bar evenly ("C G Am F", "C Am,G7 F"; bar lines "|"
// may stand between them); beats from 0.
// Throws an Error naming "chords" and the bad symbol.
TIMBREL_API std::vector<ChordSpan> parse_progression(const std::string& text, double beats_per_bar = 4);

// The chord symbols of `seq` as spans in quarter-note beats: each annotation lasts until the
// next one (the last until the end of the music); "N.C." annotations end a span.
TIMBREL_API std::vector<ChordSpan> chord_spans(const NoteSequence& seq);
// Replaces `seq`'s chord annotations with `chords` (an N.C. annotation where one span ends
// before the next begins). Beats become seconds through seq's tempo map.
TIMBREL_API void set_chords(NoteSequence& seq, const std::vector<ChordSpan>& chords);
// The chord sounding at each step of a quantized sequence (N.C. before the first), `steps` long.
TIMBREL_API std::vector<Chord> chords_per_step(const NoteSequence& quantized, int64_t steps);

}  // namespace timbrel
