#pragma once
// Rendering with libfluidsynth: single notes of SoundFont presets (16 kHz mono, reverb and chorus
// off: the NSynth recipe of 3 s held and 1 s of release), and whole sequences (any rate, stereo).
#include <string>
#include <vector>

#include "timbrel/note_sequence.h"
#include "timbrel/spectral.h"

namespace timbrel::train {

struct SoundFontPreset {
  std::string soundfont;
  int bank = 0, program = 0;
  std::string name;
};

// Every preset of a .sf2/.sf3 file, in (bank, program) order; Error names the file when it
// cannot be loaded.
std::vector<SoundFontPreset> list_soundfont_presets(const std::string& path);

// For each pitch, for each velocity: 4 s at `sample_rate` (note-on at 0, note-off at 3 s).
// CC 11 (expression) is set to 127 so that presets driven by it sound. Thread-safe: each call
// owns its synthesiser.
std::vector<std::vector<float>> render_preset_notes(const SoundFontPreset& preset, const std::vector<int>& pitches,
                                                    const std::vector<int>& velocities, int sample_rate = kNoteSampleRate);

// How `render_sequence_with_soundfont` renders: FluidSynth as a listener hears it by default
// (48 kHz stereo, its default reverb and chorus; gain 0.5, the level the note sets were made at).
struct SoundFontSongOptions {
  int sample_rate = 48000;
  int channels = 2;      // 2: interleaved L R; 1: (L + R) / 2
  bool effects = true;   // FluidSynth's default reverb and chorus (as CC91/CC93 send into them)
  double tail_seconds = 2.0;  // rendered after the last event (release and reverb tail)
};

// A whole NoteSequence through FluidSynth: each note on its channel with its program (drums on
// channel 10), velocity and times, and every controller change and pitch bend of the sequence on
// its channel (CC7/11/10/64/91/93, RPN 0, ...), events of one instant in MIDI-file order (note-offs,
// then controllers and bends, then note-ons). The ground truth that `eval song` sets a neural
// render beside. Samples interleaved.
std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont,
                                                  const SoundFontSongOptions& options);
// The same at 16 kHz mono, reverb and chorus off, 1 s of tail (the models' rate).
std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont);

}  // namespace timbrel::train
