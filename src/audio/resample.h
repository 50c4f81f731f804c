#pragma once
// Resampling with a chosen passband (timbrel/sound_file.h's resample keeps soxr's HQ default, flat
// to 91.3% of the lower Nyquist frequency).
#include <vector>

#include "timbrel/sound_file.h"

namespace timbrel {

// A model's 16 kHz note is flat to 8 kHz and joined there by what the renderer adds above (a drum
// hit's high band): flat to 98% of the lower Nyquist frequency instead of soxr's 91.3%, the gap
// at the join 160 Hz wide instead of 700 Hz.
constexpr double kNotePassband = 0.98;

Audio resample(const Audio& audio, int sample_rate, double passband_end);
// A model's mono note from `from` to `to` Hz with kNotePassband (the samples back when the rates match).
std::vector<float> resample_note(std::vector<float> note, int from, int to);

}  // namespace timbrel
