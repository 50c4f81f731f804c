#pragma once
// Rendering single notes of SoundFont presets with libfluidsynth (16 kHz mono, reverb and chorus
// off): the NSynth recipe of 3 s held and 1 s of release.
#include <string>
#include <vector>

#include "timbrel/note_sequence.h"

namespace timbrel::train {

struct SoundFontPreset {
  std::string soundfont;
  int bank = 0, program = 0;
  std::string name;
};

// Every preset of a .sf2/.sf3 file, in (bank, program) order; Error names the file when it
// cannot be loaded.
std::vector<SoundFontPreset> list_soundfont_presets(const std::string& path);

// For each pitch, for each velocity: kNoteSamples samples (note-on at 0, note-off at 3 s).
// CC 11 (expression) is set to 127 so that presets driven by it sound. Thread-safe: each call
// owns its synthesiser.
std::vector<std::vector<float>> render_preset_notes(const SoundFontPreset& preset, const std::vector<int>& pitches,
                                                    const std::vector<int>& velocities);

// A whole NoteSequence through FluidSynth (16 kHz mono, reverb and chorus off): each note on its
// channel with its program (drums on channel 10), velocity and times; 1 s of release appended.
// The ground truth that `eval song` sets a neural render beside.
std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont);

}  // namespace timbrel::train
