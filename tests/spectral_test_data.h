#pragma once
// Loading the spectral golden data (tests/data/spectral, made by tests/golden/make_spectral_golden.py).
#include <complex>
#include <string>
#include <vector>

#include "spectral/gansynth_spectrogram.h"
#include "timbrel/sound_file.h"
#include "util/npy.h"

namespace timbrel::test {

inline std::string spectral_data(const std::string& name) {
  return std::string(TIMBREL_TEST_DATA_DIR) + "/spectral/" + name;
}
inline std::vector<float> load_npy(const std::string& name) { return read_npy(spectral_data(name)).data; }
inline std::vector<float> load_note(const std::string& name) {
  return read_sound_file(spectral_data("notes/" + name + ".wav")).samples;
}
inline const std::vector<std::string>& note_names() {
  static const std::vector<std::string> names = {"piano_c4", "clarinet_g4", "violin_e4",
                                                 "flute_c5", "trumpet_c4", "guitar_e3"};
  return names;
}

// A note's exact STFT magnitudes, [128 frames][1025 bins] (no representation in between).
inline std::vector<float> exact_magnitudes(const std::vector<float>& audio) {
  std::vector<cfloat> spec(size_t(128) * gansynth::kStftBins);
  gansynth::audio_to_stft(audio.data(), audio.size(), spec.data());
  std::vector<float> mag(spec.size());
  for (size_t i = 0; i < spec.size(); ++i) mag[i] = std::abs(spec[i]);
  return mag;
}

}  // namespace timbrel::test
