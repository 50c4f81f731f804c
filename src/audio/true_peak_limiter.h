#pragma once
// The look-ahead true-peak limiter behind normalize_loudness (include/timbrel/loudness.h): peaks
// found on the 4x-oversampled signal, a gain that reaches each peak's reduction before the peak
// and recovers smoothly after it.
#include <cstddef>
#include <vector>

#include "timbrel/sound_file.h"

namespace timbrel {

// Per frame n, the largest |value| over every channel of the 4x-oversampled signal on [n, n+1),
// the frame itself included, by the larger of two interpolators: a long windowed sinc (32 taps a
// phase) and the BS.1770 meter's (libebur128's 49-tap filter).
std::vector<float> oversampled_peaks(const Audio& audio);

// The most the BS.1770 meter's interpolator (libebur128's) can read above the samples it weighs:
// its largest sum of |weights| over the phases, with 1% to spare for rounding.
double meter_interpolator_gain();

struct LimiterShape {
  size_t attack_frames = 1;    // look-ahead: the gain is fully down this many frames before a peak
  double release_coeff = 0.0;  // per-frame decay of the remaining gain reduction (0: instant)
};
LimiterShape limiter_shape(int sample_rate);  // 5 ms attack, 60 ms release time constant

// Buffers limiter_gain reuses from call to call (a minute of audio is megabytes each).
struct LimiterBuffers {
  std::vector<float> required, from_start, to_end;
};

// Gain per frame such that gain[n] * peaks[n] <= threshold for every n (up to rounding): the
// forward minimum over the attack window, an exponential release, then a moving average over the
// attack window (which keeps the bound: every value it averages is at most the required gain).
void limiter_gain(const std::vector<float>& peaks, double threshold, const LimiterShape& shape, LimiterBuffers& buffers,
                  std::vector<float>& gain);
std::vector<float> limiter_gain(const std::vector<float>& peaks, double threshold, const LimiterShape& shape);

// out = audio * scale * gain[frame], every channel of a frame by the same gain (none: scale only).
void apply_gain(const Audio& audio, double scale, const std::vector<float>& gain, Audio& out);

}  // namespace timbrel
