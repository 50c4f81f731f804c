#pragma once
// Fitting a drum model's high band (`timbrel train drum-highs`): for each kit of the drum model
// and each General MIDI drum note 35..81, the SoundFont's 48 kHz hit (FluidSynth: velocity 100,
// 0.1 s, rung out, reverb and chorus off) measured above 8 kHz, as a time-frequency envelope and
// its energy against the hit's 0-8 kHz band. The renderer adds that band, as filtered noise, to
// the 16 kHz model's hits when it plays at 48 kHz.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct DrumHighsFitOptions {
  std::string soundfont;          // the kits' SoundFont (.sf2/.sf3), e.g. FluidR3_GM.sf2
  std::string model_dir;          // the drum model folder: its presets and their GM bank/program
  std::string out;                // the file to write, e.g. MODEL_DIR/highs.safetensors
  std::vector<std::string> kits;  // presets to fit; empty: every preset the model has
  std::function<void(const std::string&)> log;  // one line per kit; unset: dropped
};

struct DrumHighsFitReport {
  size_t kits = 0, notes = 0, silent_notes = 0;  // silent: the kit has no sample for the note
  double seconds = 0;
  uint64_t bytes = 0;  // size of the written file
};

TIMBREL_API DrumHighsFitReport fit_drum_highs(const DrumHighsFitOptions& options);

}  // namespace timbrel
