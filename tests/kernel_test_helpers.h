#pragma once
// Inputs and CPU-side checks shared by the kernel tests (test_spectral_kernels.cpp,
// test_oscillator_bank.cpp) and the device table (test_device_table.cpp): the kernels' per-element
// bodies (kernels/*_ops.h, synth/oscillator_bank_ops.h) run here on the CPU, beside the CPU path
// they mirror. Needs kernels/ and src/ on the include path.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "istft_ops.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/mel.h"
#include "spectral/phase_reconstruction.h"
#include "spectral_decode_ops.h"
#include "synth/oscillator_bank.h"
#include "synth/oscillator_bank_ops.h"
#include "timbrel/spectral.h"

namespace timbrel::test {

inline double nmse(const float* got, const float* want, size_t n) {
  double e = 0, s = 0;
  for (size_t i = 0; i < n; ++i) {
    e += std::pow(double(got[i]) - want[i], 2);
    s += double(want[i]) * want[i];
  }
  return s > 0 ? e / s : e;
}
inline double nmse(const std::vector<float>& got, const std::vector<float>& want) { return nmse(got.data(), want.data(), want.size()); }
inline double nmse(const std::vector<cfloat>& got, const std::vector<cfloat>& want) {
  return nmse(reinterpret_cast<const float*>(got.data()), reinterpret_cast<const float*>(want.data()), 2 * want.size());
}

// A real note's spectrogram (harmonic tone with vibrato and a decay), plus seeded noise, so that
// both smooth and rough inputs are covered.
inline std::vector<float> test_spectrogram(unsigned seed, SpectralScale scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const double f0 = 110.0 * std::pow(2.0, u(rng) * 3);
  std::vector<float> audio(kNoteSamples);
  for (int i = 0; i < kNoteSamples; ++i) {
    const double t = i / 16000.0, f = f0 * (1 + 0.01 * std::sin(2 * M_PI * 5 * t));
    for (int h = 1; h <= 8; ++h) audio[size_t(i)] += float(std::sin(2 * M_PI * f * h * t) * std::exp(-t) / h * 0.2);
    audio[size_t(i)] += 0.01f * (u(rng) - 0.5f);
  }
  return audio_to_spectrogram(audio, scale);
}

inline kernels::SparseView mel_to_linear_view() {
  const SparseColumns& m2l = gansynth_mel_to_linear();
  return {m2l.start.data(), m2l.index.data(), m2l.weight.data()};
}
inline float decode_epsilon(SpectralCompat compat) { return compat == SpectralCompat::Exact ? 1e-6f : 0.0f; }

// The C2R input the decode kernels must produce: the CPU path's spectrum with a real Nyquist bin.
inline std::vector<cfloat> decode_reference(const std::vector<float>& spec, SpectralScale scale, SpectralCompat compat) {
  std::vector<cfloat> want(size_t(kSpectrogramFrames) * 1025);
  gansynth::decode_to_stft(spec.data(), kSpectrogramFrames, want.data(), scale, compat);
  for (int t = 0; t < kSpectrogramFrames; ++t) want[size_t(t) * 1025 + 1024].imag(0.0f);
  return want;
}

// The two-pass decode bodies over one note, as the two launches run them: magnitude and phase
// [frames][1025] (launch_decode_polar's output).
inline void decode_polar_with_bodies(const std::vector<float>& spec, SpectralScale scale, SpectralCompat compat,
                                     std::vector<float>& magnitude, std::vector<float>& phase) {
  const int frames = kSpectrogramFrames;
  std::vector<float> power(size_t(frames) * 1024), cumulated(power.size());
  for (int m = 0; m < 1024; ++m) kernels::cumulate_bin(spec.data(), frames, m, power.data(), cumulated.data());
  magnitude.assign(size_t(frames) * 1025, 0.0f);
  phase.assign(magnitude.size(), 0.0f);
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < 1025; ++k) {
      const size_t i = size_t(t) * 1025 + size_t(k);
      kernels::linear_polar(power.data() + size_t(t) * 1024, cumulated.data() + size_t(t) * 1024, k, scale == SpectralScale::Mel,
                            mel_to_linear_view(), decode_epsilon(compat), &magnitude[i], &phase[i]);
    }
}

// The same to the C2R input (launch_decode_complex's output).
inline std::vector<cfloat> decode_with_bodies(const std::vector<float>& spec, SpectralScale scale, SpectralCompat compat) {
  std::vector<float> magnitude, phase;
  decode_polar_with_bodies(spec, scale, compat, magnitude, phase);
  std::vector<cfloat> out(magnitude.size());
  for (size_t i = 0; i < out.size(); ++i) {
    float re, im;
    kernels::polar_to_c2r(magnitude[i], phase[i], int(i % 1025), &re, &im);
    out[i] = {re, im};
  }
  return out;
}

// The one-pass body (launch_decode_fused's) over one note.
inline std::vector<cfloat> decode_fused_with_body(const std::vector<float>& spec, SpectralScale scale, SpectralCompat compat) {
  std::vector<cfloat> out(size_t(kSpectrogramFrames) * 1025);
  for (int k = 0; k < 1025; ++k)
    kernels::decode_bin_fused(spec.data(), kSpectrogramFrames, k, scale == SpectralScale::Mel, mel_to_linear_view(),
                              decode_epsilon(compat), reinterpret_cast<float*>(out.data()));
  return out;
}

// Raw inverse-FFT frames from an independent double-precision DFT, overlap-added by the kernel
// body; NMSE against FFTW's Stft::synthesize (float FFT: ~1e-14 expected).
inline double overlap_add_body_nmse(SpectralCompat compat) {
  const int frames = 12, n = 2048, hop = 512;
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0, 1);
  std::vector<cfloat> spec(size_t(frames) * 1025);
  for (auto& c : spec) c = {g(rng), g(rng)};
  std::vector<double> cosine(n), sine(n);
  for (int i = 0; i < n; ++i) cosine[size_t(i)] = std::cos(2 * M_PI * i / n), sine[size_t(i)] = std::sin(2 * M_PI * i / n);
  std::vector<float> raw(size_t(frames) * n);
  for (int t = 0; t < frames; ++t) {
    const cfloat* X = spec.data() + size_t(t) * 1025;
    for (int j = 0; j < n; ++j) {
      double x = X[0].real() + X[1024].real() * (j % 2 ? -1 : 1);
      for (int k = 1; k < 1024; ++k) {
        const size_t r = size_t(k) * size_t(j) % size_t(n);
        x += 2 * (X[k].real() * cosine[r] - X[k].imag() * sine[r]);
      }
      raw[size_t(t) * n + size_t(j)] = float(x);
    }
  }
  const Stft& stft = gansynth::stft_for(compat);
  std::vector<float> want(stft.signal_length(frames)), got(want.size());
  stft.synthesize(spec.data(), frames, want.data());
  for (size_t p = 0; p < got.size(); ++p) got[p] = kernels::overlap_add_sample(raw.data(), stft.synthesis_scaled().data(), frames, n, hop, p);
  return nmse(got, want);
}

// FGLA driven by the kernel bodies (projection) around FFTW, against fast_griffin_lim: NMSE of the
// final signals. `last_signal` (if given) gets the last synthesized signal.
inline double griffin_lim_body_nmse(float momentum, std::vector<float>* last_signal = nullptr) {
  const int frames = 16;
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  const size_t count = size_t(frames) * 1025;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> mag(count), phase(count);
  for (auto& m : mag) m = u(rng) * u(rng);
  random_phase(phase.data(), count, 11);
  std::vector<float> want(stft.signal_length(frames)), ph = phase;
  fast_griffin_lim(stft, mag.data(), frames, ph.data(), 6, momentum, want.data());

  std::vector<cfloat> c(count), t(count), t_prev(count);
  for (size_t i = 0; i < count; ++i) {
    float s, co;
    fastmath::sincos(phase[i], &s, &co);
    c[i] = {mag[i] * co, mag[i] * s};
  }
  std::vector<float> signal(want.size());
  for (int it = 0; it < 6; ++it) {
    stft.synthesize(c.data(), frames, signal.data());
    stft.analyze(signal.data(), frames, t.data());
    for (size_t i = 0; i < count; ++i) {
      const int k = int(i % 1025);
      kernels::project_coefficient(reinterpret_cast<float*>(&t[i]), reinterpret_cast<float*>(&t_prev[i]), mag[i], momentum, it == 0,
                                   k == 0 || k == 1024, reinterpret_cast<float*>(&c[i]));
    }
  }
  std::vector<float> got(want.size());
  stft.synthesize(c.data(), frames, got.data());
  if (last_signal) *last_signal = signal;
  return nmse(got, want);
}

// The DDSP oscillator bank's inputs: voices gliding from 100 to 900 Hz (the top harmonics cross
// Nyquist), swelling, random spectra.
constexpr int kOscHarmonics = 60, kOscHop = 64;

struct OscillatorControls {
  int voices, frames;
  std::vector<float> f0, amp, dist;  // [v][f], [v][f], [v][f][H]
  OscillatorControls(int v, int f, unsigned seed)
      : voices(v), frames(f), f0(size_t(v * f)), amp(size_t(v * f)), dist(size_t(v * f * kOscHarmonics)) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    for (int i = 0; i < v; ++i) {
      const float lo = 100 + 50 * float(i), hi = 900 - 30 * float(i);
      for (int j = 0; j < f; ++j) {
        f0[size_t(i * f + j)] = lo + (hi - lo) * float(j) / float(f);
        amp[size_t(i * f + j)] = 0.2f + 0.1f * std::sin(float(j) / 15);
        for (int k = 0; k < kOscHarmonics; ++k) dist[size_t((i * f + j) * kOscHarmonics + k)] = u(rng);
      }
    }
  }
};

// Bank output of every voice for frames 1.. (frame 0 starts the voice), in blocks of `block`.
inline std::vector<float> bank_output(const OscillatorControls& c, int block,
                                      const synth::OscillatorBank::Renderer& render = synth::render_oscillator_block) {
  constexpr int kH = kOscHarmonics, kHop = kOscHop;
  synth::OscillatorBank bank(c.voices, kH);
  for (int v = 0; v < c.voices; ++v) bank.start(v, c.f0[size_t(v * c.frames)], c.amp[size_t(v * c.frames)], &c.dist[size_t(v * c.frames * kH)]);
  std::vector<float> out(size_t(c.voices) * size_t(c.frames - 1) * kHop);
  for (int first = 1; first < c.frames; first += block) {
    const int n = std::min(block, c.frames - first);
    std::vector<float> f0, amp, dist, part(size_t(c.voices * n * kHop));
    for (int v = 0; v < c.voices; ++v)
      for (int j = first; j < first + n; ++j) {
        f0.push_back(c.f0[size_t(v * c.frames + j)]);
        amp.push_back(c.amp[size_t(v * c.frames + j)]);
        dist.insert(dist.end(), c.dist.begin() + (v * c.frames + j) * kH, c.dist.begin() + (v * c.frames + j + 1) * kH);
      }
    bank.push(n, f0.data(), amp.data(), dist.data(), part.data(), render);
    for (int v = 0; v < c.voices; ++v)
      std::copy(part.begin() + v * n * kHop, part.begin() + (v + 1) * n * kHop,
                out.begin() + long(size_t(v) * size_t(c.frames - 1) * kHop + size_t(first - 1) * kHop));
  }
  return out;
}

inline double snr_db(const float* got, const float* want, size_t n) {
  double s = 0, e = 0;
  for (size_t i = 0; i < n; ++i) s += double(want[i]) * want[i], e += std::pow(double(got[i]) - want[i], 2);
  return 10 * std::log10(s / std::max(e, 1e-30));
}

// The graph's harmonic branch with the phase summed exactly (double), sample by sample: frame
// amplitudes Nyquist-masked and renormalised, Hann cross-faded; frequencies linear within a hop.
inline std::vector<double> exact_voice(const OscillatorControls& c, int v) {
  constexpr int kH = kOscHarmonics, kHop = kOscHop;
  std::vector<double> out;
  std::vector<float> a(kH), b(kH);
  double cycles = 0;
  for (int j = 0; j + 1 < c.frames; ++j) {
    const size_t at = size_t(v * c.frames + j);
    synth::frame_amplitudes(c.f0[at], c.amp[at], &c.dist[at * kH], kH, 8000, a.data());
    synth::frame_amplitudes(c.f0[at + 1], c.amp[at + 1], &c.dist[(at + 1) * kH], kH, 8000, b.data());
    for (int m = 0; m < kHop; ++m) {
      const double f = c.f0[at] + (double(c.f0[at + 1]) - c.f0[at]) * m / kHop;
      cycles += f / 16000;
      const double w = 0.5 - 0.5 * std::cos(M_PI * m / kHop);
      double y = 0;
      for (int k = 1; k <= kH && f * k < 8000; ++k) y += (a[size_t(k - 1)] + (b[size_t(k - 1)] - a[size_t(k - 1)]) * w) * std::sin(2 * M_PI * k * cycles);
      out.push_back(y);
    }
  }
  return out;
}

}  // namespace timbrel::test
