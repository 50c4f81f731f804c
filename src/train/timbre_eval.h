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

#include "timbrel/evaluate.h"

namespace timbrel::train {

nlohmann::json evaluate_timbre_model(const TimbreEvalOptions& options);

}  // namespace timbrel::train
