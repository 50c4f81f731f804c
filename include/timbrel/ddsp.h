#pragma once
// DDSP (Engel et al. 2020), the second timbre engine: per-frame f0 and loudness (250 frames a
// second: hop 64 at 16 kHz, 192 at 48 kHz) -> a decoder's harmonic amplitudes, harmonic distribution and noise
// magnitudes -> harmonic + filtered-noise synthesis, in tune by construction and of any length.
// Loads Magenta's DDSP TF.js graph models (model.json with "format": "graph-model" + its shard:
// the decoder's weights are taken by name and shape; the graph's synthesizers are the ones in
// src/synth) and models trained here (model.json "architecture": "ddsp" + weights.safetensors,
// several presets each). Plain C++ types only.
#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct TIMBREL_API DdspInfo {
  std::string format;  // "tfjs graph"
  int sample_rate = 16000, hop = 64;  // 250 frames a second; models trained here: the card's (16 or 48 kHz)
  int harmonics = 60, noise_bands = 65;
  int window_frames = 1250, window_step = 1000;  // the decoder reads 5 s windows 4 s apart
  int64_t parameters = 0;
  // The model's training statistics (magenta.js's per-model settings), which place a
  // performance in its range: `settings` says where they came from ("settings.json", "built in
  // (Magenta's <name>)") and is empty when unknown.
  std::string settings;
  float max_loudness_db = -48.6f;   // averageMaxLoudness: a loud note's loudness
  float mean_loudness_db = -68.5f;  // meanLoudness
  float mean_pitch = 62.0f;         // meanPitch (MIDI)
  int min_pitch = -1, max_pitch = -1;  // the training notes' range, where known (models trained here)
  float post_gain = 1.0f;           // postGain: magenta.js's output gain
  // Models trained here (`timbrel train ddsp`): their presets (one learned embedding each) and
  // General MIDI programs; empty for Magenta's single-instrument graphs.
  std::vector<std::string> presets;
  std::vector<int> preset_programs;  // per preset; -1 when it has none
  // Per preset (or empty): a held note's loudness shape, dB below its peak from the onset,
  // envelope_rate values a second (the median of the preset's training notes), so that notes from
  // MIDI decay as the instrument's own do; one shape per pitch band, band k centred at
  // envelope_first_pitch + k envelope_pitch_step (a single band when the step is 0).
  std::vector<std::vector<std::vector<float>>> preset_envelopes;
  double envelope_rate = 0;
  int envelope_first_pitch = 0, envelope_pitch_step = 0;
  // The bands of `preset` (nullptr when unknown).
  const std::vector<std::vector<float>>* envelope_of(const std::string& preset) const;
};

// How notes become a DDSP model's f0 and loudness curves (see Ddsp): monophonic voices, a glide
// into legato notes, vibrato, an envelope, velocity in dB, and the MIDI controllers: pitch bend
// (x bend_range semitones), modulation (CC 1: vibrato depth), volume and expression (CC 7, 11).
struct DdspPerformanceOptions {
  double glide = 0.06;           // s: f0 slides into a legato note over this time
  double legato_gap = 0.03;      // s: a note starting within this of the previous one's end is legato
  double attack = 0.04, release = 0.25;  // s
  double vibrato_cents = 12, vibrato_rate = 5.0, vibrato_delay = 0.35;  // every held note's vibrato
  double modulation_cents = 50;  // extra vibrato depth at modulation 127
  double velocity_db = 40;       // loudness offset = velocity_db x log10(velocity / 127)
  double bend_range = 2;         // semitones at full pitch bend (General MIDI's default)
  // Models whose card has learned envelopes (DdspInfo::preset_envelopes): held notes follow their
  // preset's loudness shape (a piano decays) instead of the attack and a flat hold.
  bool learned_envelopes = true;
};

// The decoder's outputs for `frames` frames: amplitude [frames], distribution [frames x
// harmonics] (before the Nyquist mask), noise magnitudes [frames x noise_bands].
struct DdspControls {
  size_t frames = 0;
  std::vector<float> amplitude, distribution, noise;
};

// Whether `path` is a DDSP model folder: a Magenta DDSP graph (model.json "format":
// "graph-model") or a model trained here (model.json "architecture": "ddsp").
TIMBREL_API bool is_ddsp_model(const std::string& path);
// True when `path` is a bank of DDSP models: a folder with bank.json naming its models and the
// General MIDI programs each plays (EngineOptions::ddsp_model).
TIMBREL_API bool is_ddsp_bank(const std::string& path);

class TIMBREL_API Ddsp {
 public:
  static Ddsp load(const std::string& path);
  ~Ddsp();
  Ddsp(Ddsp&&) noexcept;
  Ddsp& operator=(Ddsp&&) noexcept;

  const DdspInfo& info() const;
  // f0 (Hz; <= 0: unvoiced) and loudness (dB, as the model's training data measured it) per
  // frame, equal lengths (>= 1). As magenta.js runs the graphs: the curves are read in windows
  // of window_frames (the last padded with f0 -1 and loudness -120 dB), window_step apart; the
  // decoder normalises over each window, so a frame's output depends on its window. Where
  // windows overlap their outputs cross-fade linearly (magenta.js cross-fades audio; cross-fading
  // the controls keeps the oscillators' phases continuous).
  // `instrument`: a preset's embedding (instrument()), or a mix of several; empty = the first
  // preset (ignored by models without presets).
  DdspControls controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                        const std::vector<float>& instrument = {}) const;
  // The embedding of "preset:NAME" or "program:N" (the preset trained from that General MIDI
  // program, else one of its family, else the first); Error naming `spec` otherwise. Empty for
  // models without presets.
  std::vector<float> instrument(const std::string& spec) const;
  // The preset that plays `program` and whether it was trained from exactly that program.
  std::pair<std::string, bool> preset_for_program(int program) const;
  // Harmonic (+ filtered noise when `noise`) audio of controls: frames x hop samples.
  std::vector<float> synthesize(const DdspControls& controls, const std::vector<float>& f0_hz, bool noise = true,
                                uint64_t seed = 0) const;
  std::vector<float> render(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db, bool noise = true,
                            uint64_t seed = 0, const std::vector<float>& instrument = {}) const {
    return synthesize(controls(f0_hz, loudness_db, instrument), f0_hz, noise, seed);
  }


 private:
  struct Impl;
  friend struct detail::ModelAccess;
  explicit Ddsp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel
