#pragma once
// `timbrel eval timbre`: how a timbre model compares with the instruments it learned from.
//  - in tune: an independent tracker (aubiopitch -p yinfft) on generated notes of random timbres
//    over MIDI 36..84, beside the same tracker on real SoundFont notes at the same pitches;
//  - close to the truth: log-mel and multi-resolution STFT distances to the real notes of the same
//    (preset, pitch) on validation pitches, and on held-out test presets (their embedding fitted
//    to some of their notes with the generator frozen), beside the distance between two presets
//    of one GM family (the scale of "close");
//  - smooth interpolation: spectral centroid and loudness along slerps between presets.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace timbrel::train {

struct TimbreEvalOptions {
  std::string model, data;  // data: the note set (truth); "" = only the model's own measures
  int notes = 80;           // pitch-tracked notes (each side)
  int timbres = 16;         // random timbres (seed:0..) and real presets for the pitch test
  int distance_notes = 48;  // validation notes for the distances
  int test_presets = 4;     // held-out presets whose embedding is fitted
  int fit_steps = 80;
  int paths = 8, path_steps = 9;  // interpolation paths between presets
  int threads = 2;
  std::string work_dir;     // where the WAVs for the tracker go ("" = a temporary folder)
  std::function<void(const std::string&)> log;
};

nlohmann::json evaluate_timbre_model(const TimbreEvalOptions& options);

}  // namespace timbrel::train
