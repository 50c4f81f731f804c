#include "spectral/gansynth_spectrogram.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "spectral/fast_math.h"
#include "spectral/gansynth_contract.h"
#include "spectral/instantaneous_frequency.h"
#include "spectral/mel.h"
#include "spectral/normalize.h"
#include "spectral/transpose.h"

namespace timbrel::gansynth {

const Stft& stft_for(SpectralCompat compat) {
  static const Stft exact = Stft::hann(kFftSize, kHop);
  static const Stft magentajs = [] {
    std::vector<float> synthesis = hann_window(kFftSize, /*periodic=*/false);
    for (float& w : synthesis) w /= 1.5f;
    return Stft(kFftSize, kHop, hann_window(kFftSize, true), std::move(synthesis));
  }();
  return compat == SpectralCompat::Exact ? exact : magentajs;
}

int frames_for(size_t samples) {
  const size_t padded = samples + kFrontPadding;
  if (padded <= size_t(kFftSize)) return 1;
  return int((padded - kFftSize + kHop - 1) / kHop) + 1;
}

std::vector<float> pad_audio(const float* audio, size_t samples, int frames) {
  std::vector<float> padded(stft_for(SpectralCompat::Exact).signal_length(frames), 0.0f);
  std::copy(audio, audio + std::min(samples, padded.size() - kFrontPadding), padded.begin() + kFrontPadding);
  return padded;
}

void audio_to_stft(const float* audio, size_t samples, cfloat* spec) {
  const int frames = frames_for(samples);
  std::vector<float> padded = pad_audio(audio, samples, frames);
  stft_for(SpectralCompat::Exact).analyze(padded.data(), frames, spec);
}

void stft_to_audio(const cfloat* spec, int frames, float* audio, size_t samples, SpectralCompat compat) {
  const Stft& stft = stft_for(compat);
  thread_local std::vector<float> full;
  full.resize(stft.signal_length(frames));
  stft.synthesize(spec, frames, full.data());
  std::fill(audio, audio + samples, 0.0f);
  std::copy(full.begin() + kFrontPadding, full.begin() + kFrontPadding + std::min(samples, full.size() - kFrontPadding), audio);
}

void encode(const cfloat* spec, int frames, float* out, SpectralScale scale) {
  // |X| + eps and phase of bins 1..1024, [frames][1024].
  const size_t n = size_t(frames) * kBins;
  std::vector<float> mag(n), phase(n), chan0(n), chan1(n);
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < kBins; ++k) {
      const cfloat x = spec[size_t(t) * kStftBins + k + 1];
      mag[size_t(t) * kBins + k] = std::abs(x) + float(kLogEpsilon);
      phase[size_t(t) * kBins + k] = std::arg(x);
    }
  if (scale == SpectralScale::Linear) {
    for (size_t i = 0; i < n; ++i) chan0[i] = std::log(mag[i]);
    phase_to_if(phase.data(), chan1.data(), frames, kBins, kBins);
  } else {
    // Power and unwrapped phase through the mel matrix, as AXPYs along time (column-major).
    const SparseColumns& to_mel = gansynth_linear_to_mel();
    std::vector<float> col(n), mel_t(n), unwrapped(n);
    transpose_map(mag.data(), kBins, col.data(), size_t(frames), frames, kBins, [](float m) { return m * m; });
    to_mel.apply_columns(col.data(), frames, mel_t.data(), size_t(frames));
    transpose_map(mel_t.data(), size_t(frames), chan0.data(), kBins, kBins, frames,
                  [](float p) { return std::log(p + float(kLogEpsilon)); });
    unwrap_phase(phase.data(), unwrapped.data(), frames, kBins, kBins);
    transpose(unwrapped.data(), kBins, col.data(), size_t(frames), frames, kBins);
    to_mel.apply_columns(col.data(), frames, mel_t.data(), size_t(frames));
    transpose(mel_t.data(), size_t(frames), unwrapped.data(), kBins, kBins, frames);
    phase_to_if(unwrapped.data(), chan1.data(), frames, kBins, kBins);
  }
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = chan0[i];
    out[2 * i + 1] = chan1[i];
  }
  normalize_spectrogram(out, 2 * n);
}

namespace {

// Per-thread work buffers, reused from note to note (no allocation or zeroing per note).
struct Scratch {
  std::vector<float> power, cum, col, mag_t, phase_t;
  std::vector<double> acc;
  template <typename T>
  T* get(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The hot element loops, compiled twice (AVX2 and baseline x86-64) and picked at load time.
#define TIMBREL_HOT __attribute__((target_clones("avx2", "default")))

TIMBREL_HOT void exp_descaled(const float* __restrict row, float* __restrict out) {
  for (int k = 0; k < kBins; ++k) out[k] = fastmath::exp((row[2 * k] - kMagnitudeShift) * (1.0f / kMagnitudeScale));
}

TIMBREL_HOT void cumulate_if(const float* __restrict row, double* __restrict acc, float* __restrict out) {
  for (int k = 0; k < kBins; ++k) {
    acc[k] += double((row[2 * k + 1] - kIfShift) * (1.0f / kIfScale)) * M_PI;
    out[k] = float(acc[k]);
  }
}

TIMBREL_HOT void sqrt_with_epsilon(float* __restrict x, size_t n, float eps) {
  for (size_t i = 0; i < n; ++i) x[i] = std::sqrt(std::max(x[i], 0.0f) + eps);
}

TIMBREL_HOT void polar_to_rect_inplace(float* __restrict mag_re, float* __restrict phase_im, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float s, c;
    fastmath::sincos(phase_im[i], &s, &c);
    const float m = mag_re[i];
    mag_re[i] = m * c;
    phase_im[i] = m * s;
  }
}

// Normalised [frames][1024][2] -> magnitude and phase in column-major [1025 bins][frames]
// (bin 0, DC, zero; no phase when phase_t is null). Everything runs on contiguous time rows so
// that it vectorises.
void decode_columns(const float* in, int frames, float* mag_t, float* phase_t, SpectralScale scale,
                    SpectralCompat compat) {
  const size_t n = size_t(frames) * kBins;
  // Descale, exp of the log power, and the IF cumulative sum (double accumulators, across bins).
  Scratch& w = scratch();
  float* power = w.get(w.power, n);
  float* cum = w.get(w.cum, n);
  double* acc = w.get(w.acc, kBins);
  std::fill(acc, acc + kBins, 0.0);
  for (int t = 0; t < frames; ++t) {
    const float* row = in + size_t(t) * kBins * 2;
    exp_descaled(row, power + size_t(t) * kBins);
    if (phase_t) cumulate_if(row, acc, cum + size_t(t) * kBins);
  }
  std::fill(mag_t, mag_t + frames, 0.0f);
  if (phase_t) std::fill(phase_t, phase_t + frames, 0.0f);
  float* mag = mag_t + frames;  // bins 1..1024
  float* phase = phase_t ? phase_t + frames : nullptr;
  if (scale == SpectralScale::Linear) {
    transpose(power, kBins, mag, size_t(frames), frames, kBins);
    if (phase) transpose(cum, kBins, phase, size_t(frames), frames, kBins);
    return;
  }
  // Mel -> linear through the sparse inverse matrix: AXPYs along time.
  float* col = w.get(w.col, n);
  const SparseColumns& to_linear = gansynth_mel_to_linear();
  transpose(power, kBins, col, size_t(frames), frames, kBins);
  to_linear.apply_columns(col, frames, mag, size_t(frames));
  sqrt_with_epsilon(mag, n, compat == SpectralCompat::Exact ? float(kLogEpsilon) : 0.0f);
  if (!phase) return;
  transpose(cum, kBins, col, size_t(frames), frames, kBins);
  to_linear.apply_columns(col, frames, phase, size_t(frames));
}

}  // namespace

void decode_polar(const float* in, int frames, float* magnitude, float* phase, SpectralScale scale,
                  SpectralCompat compat) {
  const size_t n = size_t(kStftBins) * frames;
  Scratch& w = scratch();
  float* mag_t = w.get(w.mag_t, n);
  float* phase_t = phase ? w.get(w.phase_t, n) : nullptr;
  decode_columns(in, frames, mag_t, phase_t, scale, compat);
  transpose(mag_t, size_t(frames), magnitude, kStftBins, kStftBins, frames);
  if (phase) transpose(phase_t, size_t(frames), phase, kStftBins, kStftBins, frames);
}

void decode_to_stft(const float* in, int frames, cfloat* spec, SpectralScale scale, SpectralCompat compat) {
  const size_t n = size_t(kStftBins) * frames;
  Scratch& w = scratch();
  float* mag_t = w.get(w.mag_t, n);
  float* phase_t = w.get(w.phase_t, n);
  decode_columns(in, frames, mag_t, phase_t, scale, compat);
  // polar -> rectangular in place (mag_t becomes real, phase_t imaginary), then to [frames][bins].
  polar_to_rect_inplace(mag_t, phase_t, n);
  float* out = reinterpret_cast<float*>(spec);  // std::complex<float> is layout-compatible with float[2]
  transpose_to_complex(mag_t, phase_t, size_t(frames), out, kStftBins, kStftBins, frames);
}

namespace {
TIMBREL_HOT void polar_to_interleaved(const float* __restrict magnitude, const float* __restrict phase, size_t n,
                                      float* __restrict out) {
  for (size_t i = 0; i < n; ++i) {
    float s, c;
    fastmath::sincos(phase[i], &s, &c);
    out[2 * i] = magnitude[i] * c;
    out[2 * i + 1] = magnitude[i] * s;
  }
}
}  // namespace

void polar_to_stft(const float* magnitude, const float* phase, int frames, cfloat* spec) {
  // std::complex<float> is layout-compatible with float[2]
  polar_to_interleaved(magnitude, phase, size_t(frames) * kStftBins, reinterpret_cast<float*>(spec));
}

}  // namespace timbrel::gansynth
