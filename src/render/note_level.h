#pragma once
// How a generated note is levelled before it is mixed: sub-sonic energy (DC, rumble below 30 Hz,
// which a generator can emit and no instrument should) is filtered out, then the note is scaled to
// the training data's level for its (timbre, pitch), so a kit's kick and hi-hat keep their real
// balance. A note the generator made far quieter than its training notes (a failed note) is not
// amplified into full-level noise: its gain is capped.
#include <cstddef>
#include <vector>

namespace timbrel {

// Butterworth high-pass biquad (transposed direct form II); state carries across calls, and a
// silent input whose tail has decayed below 1e-9 gives exact zeros.
class HighPass {
 public:
  HighPass(double cutoff_hz, double sample_rate, double q = 0.70710678118654752);
  float process(float x);
  void process(float* x, size_t n);

 private:
  double b0_, b1_, b2_, a1_, a2_, s1_ = 0, s2_ = 0;
};

// 4th-order Butterworth at 30 Hz (two sections): -1 dB near 48 Hz, -24 dB per octave below 30 Hz.
void remove_subsonic(float* x, size_t n, int sample_rate);

// Generated notes of healthy (timbre, pitch) pairs peak at -19..-11 dBFS after the IF inversion
// (measured on the bundled models), failed ones at -30 dBFS and below: a note quieter than this is
// boosted as if it peaked here, so it stays as much quieter as it is.
constexpr float kQuietestNotePeak = 0.063f;  // -24 dBFS

// Filters the note and scales it so that its peak is 10^(relative_db / 20) (1.0 = the renderer's
// full note level), boosting it at most 1 / kQuietestNotePeak times.
void level_note(std::vector<float>& note, double relative_db, int sample_rate);

}  // namespace timbrel
