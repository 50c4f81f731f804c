#pragma once
// Per-element bodies of the DDSP oscillator bank for many voices at once, shared by the CUDA
// kernel (kernels/ddsp_oscillators.cu) and its CPU reference (synth/oscillator_bank.h). Unlike
// HarmonicSynth, which runs the phase as a sequential sum, every sample here is computed on its
// own: within a hop the frequency moves linearly, so the summed phase has a closed form from the
// phase at the hop's start. Layout per voice v and block of F frames: f0 [v][F + 1] (the frame
// before the block, then its F frames), harmonic amplitudes [v][F + 1][H] (Nyquist-masked and
// normalised: frame_amplitudes), start phase per hop [v][F] in cycles (hop_start_phases).
#include <cmath>
#include <cstddef>

#include "spectral/hd.h"

namespace timbrel::synth {

// The highest harmonic frequency (exclusive) a DDSP synthesizer plays: Nyquist, and at most
// 20 kHz (a 48 kHz model leaves 20..24 kHz, where nothing is heard but aliasing starts, to noise).
TIMBREL_HD float harmonic_cutoff_hz(float sample_rate) { return 0.5f * sample_rate < 20000.0f ? 0.5f * sample_rate : 20000.0f; }

// Frame (v, f): amplitude x distribution with harmonics at or above Nyquist zeroed and the rest
// renormalised (as the graph does), into out[H].
TIMBREL_HD void frame_amplitudes(float f0, float amplitude, const float* distribution, int harmonics, float nyquist, float* out) {
  float sum = 0;
  for (int k = 0; k < harmonics; ++k) {
    const float d = f0 * float(k + 1) < nyquist ? distribution[k] : 0.0f;
    out[k] = d;
    sum += d;
  }
  const float scale = sum > 0 ? amplitude / sum : 0.0f;
  for (int k = 0; k < harmonics; ++k) out[k] *= scale;
}

// Cycles the fundamental advances over the hop from frame frequency a to b (sample m of the hop
// at a + (b - a) m / hop, summed over m = 0 .. hop - 1).
TIMBREL_HD double hop_advance(double a, double b, int hop, double sample_rate) {
  return (double(hop) * a + (b - a) * double(hop - 1) / 2.0) / sample_rate;
}

// Sample m (0 .. hop - 1) of the hop between frames with frequencies a -> b and harmonic
// amplitudes amp_a -> amp_b, the fundamental at `start` cycles before the hop; `fade_in` is the
// Hann weight of frame b at m (0.5 - 0.5 cos(pi m / hop)).
TIMBREL_HD float oscillator_sample(int m, int hop, float a, float b, const float* amp_a, const float* amp_b, int harmonics,
                                   float start, float fade_in, float sample_rate) {
  const float f = a + (b - a) * float(m) / float(hop);
  // Inclusive running sum: sample m has advanced m + 1 steps since the hop began.
  const float cycles = start + (float(m + 1) * a + (b - a) * float(m) * float(m + 1) / (2.0f * float(hop))) / sample_rate;
  const float nyquist = harmonic_cutoff_hz(sample_rate);
  float out = 0;
  for (int k = 1; k <= harmonics && f * float(k) < nyquist; ++k) {
    const float c = cycles * float(k);
    const float phase = c - floorf(c);
    const float amp = amp_a[k - 1] + (amp_b[k - 1] - amp_a[k - 1]) * fade_in;
#if defined(__CUDA_ARCH__)
    out += amp * sinpif(2.0f * phase);
#else
    out += amp * std::sin(6.28318530717958647692f * phase);
#endif
  }
  return out;
}

}  // namespace timbrel::synth
