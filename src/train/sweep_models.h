#pragma once
// What a keyboard sweep (timbre_sweep.h) plays, for either engine: a GANSynth model's generated
// notes, or a DDSP model's notes played as the renderer plays them (3 s held at velocity 100, then
// released; no vibrato, so the pitch and harmonic measures see the timbre alone).
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "timbrel/ddsp.h"
#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"

namespace timbrel {
class DdspBank;
}

namespace timbrel::train {

struct SweepModel {
  bool drums = false;
  int lo = 0, hi = 0;                                  // pitches swept
  std::vector<std::string> default_timbres;
  std::map<std::string, std::pair<int, int>> programs;  // preset -> (bank, program) it was trained from
  std::function<std::string(const std::string& spec)> preset_of;  // the preset a spec names, or ""
  int sample_rate = kNoteSampleRate;  // of `notes`: 16 kHz (GANSynth), the DDSP model's own rate
  // 4 s of audio at sample_rate per pitch, one after another.
  std::function<std::vector<float>(const std::string& spec, const std::vector<int>& pitches, int threads)> notes;
  std::function<double(const std::string& spec, int pitch)> relative_db;  // the renderer's level (0 = full)
  bool levels_notes = true;  // the renderer levels each note (GANSynth); a DDSP note plays at its loudness curve's level
};

SweepModel gansynth_sweep_model(const Gansynth& model, const InverseOptions& inverse);
// Melodic DDSP models trained here (presets), a bank of them (render/ddsp_bank.h: a program is
// played by the bank's model for it) or Magenta's (one instrument: the spec names nothing).
// The returned model plays from `bank`, which must outlive it.
SweepModel ddsp_sweep_model(const DdspBank& bank, const std::string& name);

}  // namespace timbrel::train
