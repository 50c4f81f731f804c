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

// The same with a 5 Hz, 0.5% vibrato (timbrel bench's note): a broader spectrum, nearer a
// generated note's.
inline std::vector<float> vibrato_note() {
  std::vector<float> x(kNoteSamples);
  for (size_t i = 0; i < x.size(); ++i) {
    double t = double(i) / kNoteSampleRate, f = 220.0 * (1 + 0.005 * std::sin(2 * M_PI * 5 * t)), s = 0;
    for (int h = 1; h <= 12; ++h) s += std::sin(2 * M_PI * f * h * t) / h;
    x[i] = float(0.3 * s * std::exp(-t));
  }
  return x;
}

}  // namespace timbrel::bench
