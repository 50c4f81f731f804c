// SoundFont rendering in a build without libfluidsynth (TIMBREL_FLUIDSYNTH=OFF): every entry
// says what it needs.
#include "train/soundfont_notes.h"

#include "timbrel/error.h"

namespace timbrel::train {
namespace {

[[noreturn]] void unavailable(const std::string& subject) {
  throw Error(subject, "SoundFonts need libfluidsynth: this build has none (install libfluidsynth-dev and configure with -DTIMBREL_FLUIDSYNTH=ON)");
}

}  // namespace

std::vector<SoundFontPreset> list_soundfont_presets(const std::string& path) { unavailable(path); }

std::vector<std::vector<float>> render_preset_notes(const SoundFontPreset& preset, const std::vector<int>&, const std::vector<int>&, int) {
  unavailable(preset.soundfont);
}

std::vector<float> render_sequence_with_soundfont(const NoteSequence&, const std::string& soundfont, const SoundFontSongOptions&) {
  unavailable(soundfont);
}

std::vector<float> render_sequence_with_soundfont(const NoteSequence&, const std::string& soundfont) { unavailable(soundfont); }

}  // namespace timbrel::train
