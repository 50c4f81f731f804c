#pragma once
// Per-element bodies of kernels/spectral_decode.cu: normalised generator output [frames][1024][2]
// -> the cuFFT C2R input [frames][1025] (DC bin inserted, DC and Nyquist real). They repeat the CPU
// path's arithmetic in its order (gansynth_spectrogram.cpp), so both sides give the same floats.
#include <cstddef>

#include "spectral/fast_math.h"
#include "spectral/gansynth_contract.h"
#include "spectral/hd.h"

namespace timbrel::kernels {

constexpr int kStftBins = gansynth::kBins + 1;
constexpr double kPi = 3.14159265358979323846;

// Pass 1, one thread per (note, bin m) walking time: exp of the de-normalised log power and the
// running IF sum (double accumulator, as the CPU). spec: one note [frames][1024][2];
// power, phase: [frames][1024].
TIMBREL_HD void cumulate_bin(const float* spec, int frames, int m, float* power, float* phase) {
  double acc = 0.0;
  for (int t = 0; t < frames; ++t) {
    const float* v = spec + (size_t(t) * gansynth::kBins + size_t(m)) * 2;
    power[size_t(t) * gansynth::kBins + m] = fastmath::exp((v[0] - gansynth::kMagnitudeShift) * (1.0f / gansynth::kMagnitudeScale));
    acc += double((v[1] - gansynth::kIfShift) * (1.0f / gansynth::kIfScale)) * kPi;
    phase[size_t(t) * gansynth::kBins + m] = float(acc);
  }
}

// The mel -> linear matrix by output bin (CSR): bin k-1's terms are start[k-1]..start[k]-1.
struct SparseView {
  const int* start;
  const int* index;
  const float* weight;
};

// Pass 2, one thread per (note, frame t, STFT bin k in 0..1024): linear magnitude and phase of
// bin k from row t of pass 1 (mel: the sparse mel -> linear product, first term initialising, then
// sqrt(p + eps); linear: bin k-1 itself). DC is 0.
TIMBREL_HD void linear_polar(const float* power_row, const float* phase_row, int k, bool mel, SparseView m2l, float eps,
                             float* magnitude, float* phase) {
  if (k == 0) {
    *magnitude = 0.0f;
    *phase = 0.0f;
    return;
  }
  if (!mel) {
    *magnitude = power_row[k - 1];
    *phase = phase_row[k - 1];
    return;
  }
  const int k0 = m2l.start[k - 1], k1 = m2l.start[k];
  float p = 0.0f, ph = 0.0f;
  if (k0 < k1) {
    p = m2l.weight[k0] * power_row[m2l.index[k0]];
    ph = m2l.weight[k0] * phase_row[m2l.index[k0]];
    for (int j = k0 + 1; j < k1; ++j) {
      p += m2l.weight[j] * power_row[m2l.index[j]];
      ph += m2l.weight[j] * phase_row[m2l.index[j]];
    }
  }
  *magnitude = sqrtf((p > 0.0f ? p : 0.0f) + eps);
  *phase = ph;
}

// The most mel contributors a linear bin may have for the one-pass form (GANSynth's have <= 6).
constexpr int kMaxContributors = 8;

// Polar -> rectangular; DC and Nyquist get a zero imaginary part (a real signal's spectrum, as
// C2R expects and as the CPU synthesis makes them).
TIMBREL_HD void polar_to_c2r(float magnitude, float phase, int k, float* re, float* im) {
  float s, c;
  fastmath::sincos(phase, &s, &c);
  *re = magnitude * c;
  *im = (k == 0 || k == gansynth::kBins) ? 0.0f : magnitude * s;
}

// The one-pass form, one thread per (note, STFT bin k) walking the frames: it keeps one double
// accumulator per mel contributor of bin k (the running IF sum of that mel bin, as pass 1 keeps
// it) and does pass 2's arithmetic in the same order, so its output equals the two passes (and
// the CPU) bit for bit while reading the spectrogram once and writing the C2R input once.
// spec: one note [frames][1024][2]; out: that note's [frames][1025] complex (interleaved).
// Requires m2l terms per bin <= kMaxContributors.
TIMBREL_HD void decode_bin_fused(const float* spec, int frames, int k, bool mel, SparseView m2l, float eps, float* out) {
  const int k0 = k == 0 ? 0 : (mel ? m2l.start[k - 1] : 0), k1 = k == 0 ? 0 : (mel ? m2l.start[k] : 1);
  double acc[kMaxContributors] = {};
  for (int t = 0; t < frames; ++t) {
    float magnitude = 0.0f, phase = 0.0f;
    if (k > 0) {
      float p = 0.0f, ph = 0.0f;
      for (int j = k0; j < k1; ++j) {
        const int m = mel ? m2l.index[j] : k - 1;
        const float* v = spec + (size_t(t) * gansynth::kBins + size_t(m)) * 2;
        const float power = fastmath::exp((v[0] - gansynth::kMagnitudeShift) * (1.0f / gansynth::kMagnitudeScale));
        acc[j - k0] += double((v[1] - gansynth::kIfShift) * (1.0f / gansynth::kIfScale)) * kPi;
        const float cum = float(acc[j - k0]);
        if (!mel) {
          p = power;
          ph = cum;
        } else if (j == k0) {
          p = m2l.weight[j] * power;
          ph = m2l.weight[j] * cum;
        } else {
          p += m2l.weight[j] * power;
          ph += m2l.weight[j] * cum;
        }
      }
      magnitude = mel ? sqrtf((p > 0.0f ? p : 0.0f) + eps) : p;
      phase = ph;
    }
    float* o = out + (size_t(t) * kStftBins + size_t(k)) * 2;
    polar_to_c2r(magnitude, phase, k, o, o + 1);
  }
}

}  // namespace timbrel::kernels
