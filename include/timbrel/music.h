#pragma once
// Standard MIDI Files, quantization and monophonic melody extraction.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

struct MidiFileInfo {
  int format = 1;
  int tracks = 0;
  int division = 0;        // ticks per quarter, or ticks per second for SMPTE division
  bool smpte = false;
};

// Reads a Standard MIDI File (formats 0 and 1; SMPTE division supported). Throws timbrel::Error
// naming `path` and the byte offset of the problem on malformed input.
TIMBREL_API NoteSequence read_midi(const std::string& path, MidiFileInfo* info = nullptr);
// Same, from memory; `name` is used in error messages.
TIMBREL_API NoteSequence parse_midi(const uint8_t* data, size_t size, const std::string& name,
                        MidiFileInfo* info = nullptr);

// Writes format 1: a conductor track (tempos, time and key signatures) and one track per
// instrument. Atomic (temp file + rename).
TIMBREL_API void write_midi(const NoteSequence& seq, const std::string& path);
TIMBREL_API std::vector<uint8_t> encode_midi(const NoteSequence& seq);

// Magenta's quantize_note_sequence generalised to tempo changes: note times become steps of
// 1/steps_per_quarter quarter note (onsets round to the nearest step; ends too, at least one
// step after the start).
TIMBREL_API NoteSequence quantize(const NoteSequence& seq, int steps_per_quarter = 4);

// Melody events per step, as Magenta's melodies_lib: a pitch starts a note, kNoteOff ends one,
// kNoEvent holds the previous state.
constexpr int kMelodyNoEvent = -2;
constexpr int kMelodyNoteOff = -1;

// Monophonic line of a quantized sequence (non-drum notes; `instrument` >= 0 restricts to one):
// of notes starting on the same step the highest wins, and a later onset cuts a sounding note.
TIMBREL_API std::vector<int> extract_melody(const NoteSequence& quantized, int instrument = -1);

// Windows of `window_steps` melody events every `hop_steps`, skipping windows without an onset.
// A window that starts inside a held note begins with that note re-struck, so every window
// decodes to the notes it sounds. `whole_only`: only windows that end within the melody (else
// the last ones are padded with no-events).
TIMBREL_API std::vector<std::vector<int>> split_melody(const std::vector<int>& melody, int window_steps = 32,
                                           int hop_steps = 16, bool whole_only = false);

// Notes of a melody event list as a NoteSequence (a note lasts until the next onset or note-off;
// the last one ends at the end of the list).
TIMBREL_API NoteSequence melody_to_sequence(const std::vector<int>& events, double qpm = 120.0,
                                int steps_per_quarter = 4, int velocity = 100, int program = 0);

// A piano roll of `seq` as a PNG: time left to right (bar lines dark, beats light, from its
// tempo and time signature), pitch bottom to top over the range it uses, each instrument its own
// colour (brighter for louder notes), drum hits as short marks in a band below. Written
// atomically; Errors name `parameter` values out of range.
struct PianoRollOptions {
  int pixels_per_second = 48;
  int pixels_per_semitone = 5;
};
TIMBREL_API void write_piano_roll(const NoteSequence& seq, const std::string& path, const PianoRollOptions& options = {});

}  // namespace timbrel
