#pragma once
// Loudness by EBU R128 / ITU-R BS.1770-4 (through libebur128), and normalisation to a target
// loudness under a true-peak ceiling.
//
// Channels are weighted as BS.1770 weights them: mono, stereo and L R C 1.0 each (a mono file is
// one channel, not dual mono: the same samples played on two speakers read 3 LU louder); 4 channels
// as L R Ls Rs, 5 as L R C Ls Rs, 6 as 5.1 L R C LFE Ls Rs (surrounds 1.41, the LFE left out);
// more channels 1.0 each.
#include "timbrel/export.h"
#include "timbrel/sound_file.h"

namespace timbrel {

struct LoudnessInfo {
  double integrated_lufs = 0;    // gated integrated loudness; -inf for silence or audio under 0.4 s
  double true_peak_dbtp = 0;     // max over channels of the 4x-oversampled peak (2x at 96 kHz and above)
  double sample_peak_dbfs = 0;   // max over channels of |sample|; -inf for silence
  double loudness_range_lu = 0;  // EBU Tech 3342 LRA; 0 for audio under 3 s
};

// Measures the whole of `audio`. Error naming "audio" for no channels, a sample rate libebur128
// cannot take, a sample count that is not a multiple of the channels, or non-finite samples.
TIMBREL_API LoudnessInfo measure_loudness(const Audio& audio);

struct LoudnessTarget {
  double lufs = -16.0;           // integrated loudness wanted, in [-70, 0]
  double true_peak_dbtp = -1.0;  // ceiling, in [-30, 0]
};

// Scales `audio` to the target integrated loudness. Where that would push the true peak above the
// ceiling, a look-ahead limiter (4x-oversampled peak detection, 3 ms attack, smooth release, no
// clipping) brings it under; the gain and the limiter threshold are re-measured and corrected until
// the result is within 0.5 LU of the target with its true peak at or under the ceiling. Where no
// limiting is needed the waveform is only multiplied by one gain. Deterministic: the same input
// gives the same samples, bit for bit.
//
// This is what a renderer calls on its finished mix (any channel count and rate). Returns the
// measurement of the result. Errors (audio untouched): "audio" when it is silent or under 0.4 s
// (its loudness is -inf: nothing to normalise) or invalid as for measure_loudness;
// "target.lufs" / "target.true_peak_dbtp" outside their ranges; "target" when the limiter cannot
// reach the loudness under the ceiling (a target louder than the ceiling allows for this audio).
TIMBREL_API LoudnessInfo normalize_loudness(Audio& audio, const LoudnessTarget& target);

}  // namespace timbrel
