#pragma once
// NoteSequence: the symbolic music every stage exchanges (modelled on Magenta's protobuf).
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct Note {
  int pitch = 60;       // MIDI 0..127
  int velocity = 100;   // 1..127
  double start_time = 0.0;  // seconds
  double end_time = 0.0;    // seconds
  // Set by quantize(); -1 while unquantized.
  int64_t quantized_start_step = -1;
  int64_t quantized_end_step = -1;
  int program = 0;      // General MIDI program 0..127 in effect at the note-on
  bool is_drum = false; // channel 10
  int instrument = 0;   // track index (MIDI format 1) or channel (format 0)
  int channel = 0;      // MIDI channel 0..15
};

// A channel's pitch bend (-8192..8191; +-8192 = the bend range, 2 semitones by default in GM).
struct PitchBend {
  double time = 0.0;
  int bend = 0;
  int channel = 0, instrument = 0;
};

// A controller change (number 0..127, value 0..127), e.g. 1 modulation, 7 volume, 11 expression.
struct ControlChange {
  double time = 0.0;
  int number = 0, value = 0;
  int channel = 0, instrument = 0;
};

struct Tempo {
  double time = 0.0;
  double qpm = 120.0;
};

struct TimeSignature {
  double time = 0.0;
  int numerator = 4;
  int denominator = 4;
};

struct KeySignature {
  double time = 0.0;
  int key = 0;          // sharps (>0) or flats (<0), -7..7
  bool minor = false;
};

// A text event of the music: a chord symbol (Magenta's CHORD_SYMBOL annotation; timbrel/chords.h
// reads them), other text, or a marker (a MIDI marker event: a rehearsal mark or section name,
// never read as a chord).
struct TextAnnotation {
  enum Type { Text = 0, ChordSymbol = 1, Marker = 2 };
  double time = 0.0;
  int64_t quantized_step = -1;  // set by quantize()
  std::string text;
  Type type = Text;
};

struct TrackInfo {
  int instrument = 0;
  std::string name;
};

struct TIMBREL_API NoteSequence {
  std::vector<Note> notes;
  std::vector<PitchBend> pitch_bends;         // sorted by time
  std::vector<ControlChange> control_changes; // sorted by time
  std::vector<Tempo> tempos;                  // sorted by time
  std::vector<TimeSignature> time_signatures; // sorted by time
  std::vector<KeySignature> key_signatures;   // sorted by time
  std::vector<TextAnnotation> text_annotations;  // sorted by time
  std::vector<TrackInfo> tracks;
  double total_time = 0.0;                    // end of the last note, seconds
  int ticks_per_quarter = 220;                // resolution used when written to MIDI

  // Quantization state (quantize() sets these).
  int steps_per_quarter = 0;                  // 0: not quantized
  int64_t total_quantized_steps = 0;

  bool is_quantized() const { return steps_per_quarter > 0; }
  bool has_drums() const;
  // Appends a note, extending total_time to its end.
  void add_note(const Note& n) {
    notes.push_back(n);
    if (n.end_time > total_time) total_time = n.end_time;
  }
  double first_qpm() const { return tempos.empty() ? 120.0 : tempos.front().qpm; }
};

}  // namespace timbrel
