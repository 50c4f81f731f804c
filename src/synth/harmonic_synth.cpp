#include "synth/harmonic_synth.h"

#include <cmath>
#include <utility>

#include "spectral/fast_math.h"
#include "synth/oscillator_bank_ops.h"
#include "timbrel/error.h"

namespace timbrel::synth {
namespace {

constexpr float kTwoPi = 6.2831855f;
// The graph's phase is a float cumulative sum restarted every kChunk samples, the chunks joined
// by offsets wrapped to 2 pi; doing the same keeps the phase error of magenta.js's own arithmetic
// (a plain double sum drifts from it by ~1e-3 rad within a chunk: 60 dB).
constexpr int kChunk = 1000;

// One sample of every harmonic: advances the phase sums and writes each harmonic's sample to
// `term` (`phase` is scratch). Restrict-qualified, in two plain loops so that both vectorise (AVX2
// where the CPU has it).
__attribute__((target_clones("avx2", "default"))) void harmonic_samples(
    int n, float f0_from, float f0_to, float frac, float fade_in, float rad_per_hz, float nyquist, const float* __restrict amp_from,
    const float* __restrict amp_to, float* __restrict sum, const float* __restrict offset, float* __restrict phase,
    float* __restrict term) {
  const float fade_out = 1.0f - fade_in;
  for (int k = 0; k < n; ++k) {  // int: size_t -> float has no vector conversion
    const float from = f0_from * float(k + 1), to = f0_to * float(k + 1);
    const float freq = from + (to - from) * frac;
    sum[k] += freq * rad_per_hz;
    phase[k] = sum[k] + offset[k];
    term[k] = freq >= nyquist ? 0.0f : amp_from[k] * fade_out + amp_to[k] * fade_in;
  }
  // The graph wraps sum + offset to 2 pi (with float's 2 pi) before the sine; the sine of the
  // unwrapped float differs from that by < 1e-4 rad here (-80 dB).
  for (int k = 0; k < n; ++k) {
    float s, c;
    fastmath::sincos(phase[k], &s, &c);
    term[k] *= s;
  }
}

}  // namespace

HarmonicSynth::HarmonicSynth(int harmonics, int sample_rate, int hop)
    : harmonics_(harmonics), sample_rate_(sample_rate), hop_(hop) {
  if (harmonics < 1 || harmonics > 1024) throw Error("harmonics", "must be 1..1024");
  if (sample_rate < 1000) throw Error("sample_rate", "must be at least 1000 Hz");
  if (hop < 1 || hop > 65536) throw Error("hop", "must be 1..65536 samples");
  window_.resize(size_t(hop));
  for (int m = 0; m < hop; ++m) window_[size_t(m)] = 0.5f - 0.5f * std::cos(kTwoPi * float(m) / float(2 * hop));
  reset();
}

void HarmonicSynth::reset() {
  have_frame_ = false;
  amps_.assign(size_t(harmonics_), 0.0f);
  next_amps_.assign(size_t(harmonics_), 0.0f);
  chunk_sum_.assign(size_t(harmonics_), 0.0f);
  chunk_offset_.assign(size_t(harmonics_), 0.0f);
  offset_mod_.assign(size_t(harmonics_), 0.0f);
  term_.assign(size_t(harmonics_), 0.0f);
  phase_.assign(size_t(harmonics_), 0.0f);
  in_chunk_ = 0;
}

void HarmonicSynth::harmonic_amplitudes(float f0_hz, float amplitude, const float* distribution, std::vector<float>& a) const {
  const float nyquist = harmonic_cutoff_hz(float(sample_rate_));
  float sum = 0;
  for (int k = 0; k < harmonics_; ++k) {
    const float w = distribution[k];
    if (!(w >= 0) || !std::isfinite(w)) throw Error("distribution", "must be finite and non-negative");
    a[size_t(k)] = f0_hz * float(k + 1) >= nyquist ? 0.0f : w;
    sum += a[size_t(k)];
  }
  for (float& v : a) v = sum > 0 ? amplitude * (v / sum) : 0.0f;
}

int HarmonicSynth::push_frame(float f0_hz, float amplitude, const float* distribution, float* out) {
  if (!std::isfinite(f0_hz) || !std::isfinite(amplitude) || amplitude < 0)
    throw Error("frame", "f0 and amplitude must be finite, the amplitude non-negative");
  harmonic_amplitudes(f0_hz, amplitude, distribution, next_amps_);
  int written = 0;
  if (have_frame_) {
    render_hop(amps_, next_amps_, f0_, f0_hz, out);
    written = hop_;
  }
  std::swap(amps_, next_amps_);
  f0_ = f0_hz;
  have_frame_ = true;
  return written;
}

int HarmonicSynth::finish(float* out) {
  if (!have_frame_) return 0;
  render_hop(amps_, amps_, f0_, f0_, out);
  have_frame_ = false;
  return hop_;
}

void HarmonicSynth::render_hop(const std::vector<float>& amp_from, const std::vector<float>& amp_to, float f0_from, float f0_to,
                               float* out) {
  // The graph multiplies by float(2 pi) x float(1 / rate) (0.00039269912 at 16 kHz, one ulp above
  // float(2 pi / rate)): one ulp of drift costs ~25 dB against magenta.js over 4 s.
  const float nyquist = harmonic_cutoff_hz(float(sample_rate_)), rad_per_hz = kTwoPi * (1.0f / float(sample_rate_)), step = 1.0f / float(hop_);
  const int n = harmonics_;
  float* sum = chunk_sum_.data();
  const float* off = offset_mod_.data();
  float* term = term_.data();
  for (int m = 0; m < hop_; ++m) {
    if (in_chunk_ == kChunk) start_chunk();
    harmonic_samples(n, f0_from, f0_to, float(m) * step, window_[size_t(m)], rad_per_hz, nyquist, amp_from.data(), amp_to.data(), sum,
                     off, phase_.data(), term);
    float sample = 0;
    for (int k = 0; k < n; ++k) sample += term[k];
    out[m] = sample;
    ++in_chunk_;
  }
}

void HarmonicSynth::start_chunk() {
  for (size_t k = 0; k < size_t(harmonics_); ++k) {
    float& total = chunk_offset_[k];
    total += std::fmod(chunk_sum_[k], kTwoPi);
    if (total > 4096.0f) total = std::fmod(total, kTwoPi);  // after ~650 chunks: bounded (no longer the graph's bits)
    offset_mod_[k] = std::fmod(total, kTwoPi);
    chunk_sum_[k] = 0.0f;
  }
  in_chunk_ = 0;
}

std::vector<float> harmonic_synthesis(const std::vector<float>& f0_hz, const std::vector<float>& amplitude,
                                      const std::vector<float>& distribution, int harmonics, int sample_rate, int hop) {
  const size_t frames = f0_hz.size();
  if (amplitude.size() != frames) throw Error("amplitude", "needs one value per f0 frame");
  if (distribution.size() != frames * size_t(harmonics)) throw Error("distribution", "needs frames x harmonics values");
  HarmonicSynth synth(harmonics, sample_rate, hop);
  std::vector<float> out(frames * size_t(hop));
  float* at = out.data();
  for (size_t j = 0; j < frames; ++j) at += synth.push_frame(f0_hz[j], amplitude[j], distribution.data() + j * size_t(harmonics), at);
  synth.finish(at);
  return out;
}

}  // namespace timbrel::synth
