#include "render/note_level.h"

#include <algorithm>
#include <cmath>

namespace timbrel {

HighPass::HighPass(double cutoff_hz, double sample_rate, double q) {
  // RBJ cookbook high-pass.
  const double w = 2 * M_PI * cutoff_hz / sample_rate, alpha = std::sin(w) / (2 * q), c = std::cos(w);
  const double a0 = 1 + alpha;
  b0_ = (1 + c) / 2 / a0;
  b1_ = -(1 + c) / a0;
  b2_ = (1 + c) / 2 / a0;
  a1_ = -2 * c / a0;
  a2_ = (1 - alpha) / a0;
}

float HighPass::process(float x) {
  const double y = b0_ * x + s1_;
  // Digital silence stays silent: once the input is 0 and the tail has decayed below any output
  // format's resolution, the state is dropped (no endless denormal tail).
  if (x == 0.0f && std::fabs(y) < 1e-9) {
    s1_ = s2_ = 0;
    return 0.0f;
  }
  s1_ = b1_ * x - a1_ * y + s2_;
  s2_ = b2_ * x - a2_ * y;
  return float(y);
}

void HighPass::process(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = process(x[i]);
}

void remove_subsonic(float* x, size_t n, int sample_rate) {
  // Butterworth 4th order = sections with Q 1 / (2 cos(pi/8)) and 1 / (2 cos(3 pi/8)).
  HighPass a(30.0, sample_rate, 0.54119610014619698), b(30.0, sample_rate, 1.3065629648763766);
  a.process(x, n);
  b.process(x, n);
}

void level_note(std::vector<float>& note, double relative_db, int sample_rate) {
  remove_subsonic(note.data(), note.size(), sample_rate);
  float peak = 0;
  for (float v : note) peak = std::max(peak, std::fabs(v));
  if (!(peak > 0)) return;
  const float target = float(std::pow(10.0, relative_db / 20.0));
  const float gain = target / std::max(peak, kQuietestNotePeak);
  for (float& v : note) v *= gain;
}

}  // namespace timbrel
