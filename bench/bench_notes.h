#pragma once
// The note the spectral benchmarks invert: 220 Hz with 12 harmonics and a 1 s decay, 4 s at 16 kHz.
#include <cmath>
#include <vector>

#include "timbrel/spectral.h"

namespace timbrel::bench {

inline std::vector<float> harmonic_note() {
  std::vector<float> x(kNoteSamples);
  for (size_t i = 0; i < x.size(); ++i) {
    double t = double(i) / kNoteSampleRate, s = 0;
    for (int h = 1; h <= 12; ++h) s += std::sin(2 * M_PI * 220.0 * h * t) / h;
    x[i] = float(0.3 * s * std::exp(-t));
  }
  return x;
}

// timbrel bench's note: the same harmonics as sin(2 pi f(t) h t) with f(t) wobbling at 5 Hz. The
// phase's t f'(t) term makes that a sweep of up to +-30% by 2 s, not a gentle vibrato: a broad
// spectrum (after the mel decode 52,000 coefficients clear PGHI's tolerance; a generated note ~70,000).
inline std::vector<float> swept_note() {
  std::vector<float> x(kNoteSamples);
  for (size_t i = 0; i < x.size(); ++i) {
    double t = double(i) / kNoteSampleRate, f = 220.0 * (1 + 0.005 * std::sin(2 * M_PI * 5 * t)), s = 0;
    for (int h = 1; h <= 12; ++h) s += std::sin(2 * M_PI * f * h * t) / h;
    x[i] = float(0.3 * s * std::exp(-t));
  }
  return x;
}

}  // namespace timbrel::bench
