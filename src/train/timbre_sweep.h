#pragma once
// `timbrel eval timbre --sweep`: every pitch of a model's range (every GM drum note of a kit) for
// a few timbres, each note measured as a listener would hear it and checked:
//  - melodic: level, sub-30 Hz energy, harmonic-to-noise ratio at the note's pitch, and the
//    pitch an independent tracker (aubiopitch) hears;
//  - drums: level relative to the kit, spectral centroid, decay time, sub-30 Hz energy;
//  - with a SoundFont, each note beside FluidSynth's note of the preset the timbre was trained from:
//    log-spectral distance (LSD), reported with the representation's floor (the IF-mel round trip
//    of the true note) and the scale of a neighbouring program of the same GM family;
//  - at the renderer's 48 kHz, each note as played (a drum hit with its high band) beside
//    FluidSynth's 48 kHz note: the 0-8 / 8-16 / 16-24 kHz energy shares, the LSD over 0-24 kHz,
//    and integrated loudness relative to the keyboard's median against the truth's (level balance).
//    A sweep note is centred, so its two channels are equal; `eval song` compares channels.
// One failing note fails the sweep; averages are reported beside the worst cases.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "timbrel/spectral.h"

#include "timbrel/evaluate.h"

namespace timbrel::train {

// Thresholds of a failing note.
struct SweepLimits {
  // Raw generator output: healthy notes peak at -19..-11 dBFS, and the renderer boosts notes
  // quieter than -24 dBFS only as far as that level (note_level.h), so one below -36 dBFS plays
  // more than 12 dB under its intended level.
  double silent_peak_db = -36;
  double subsonic_fraction = 0.02;    // energy below 30 Hz
  double min_hnr_db = 6;              // harmonic-to-noise ratio at the note's pitch
  double max_folded_cents = 50;       // tracker against the note's pitch, octave errors forgiven
};

nlohmann::json sweep_timbre_model(const TimbreSweepOptions& options, const SweepLimits& limits = {});

}  // namespace timbrel::train
