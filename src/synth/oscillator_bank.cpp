#include "synth/oscillator_bank.h"

#include <cmath>

#include "synth/oscillator_bank_ops.h"
#include "timbrel/error.h"

namespace timbrel::synth {

void render_oscillator_block(const OscillatorBlock& b, float* out) {
  const size_t H = size_t(b.harmonics), per_voice = size_t(b.frames) * size_t(b.hop);
  for (int v = 0; v < b.voices; ++v)
    for (int j = 0; j < b.frames; ++j) {
      const size_t row = size_t(v) * size_t(b.frames + 1) + size_t(j);
      const float* amp_a = b.amplitudes.data() + row * H;
      for (int m = 0; m < b.hop; ++m) {
        const float fade_in = 0.5f - 0.5f * std::cos(3.14159265358979f * float(m) / float(b.hop));
        out[size_t(v) * per_voice + size_t(j) * size_t(b.hop) + size_t(m)] =
            oscillator_sample(m, b.hop, b.f0[row], b.f0[row + 1], amp_a, amp_a + H, b.harmonics,
                              b.starts[size_t(v) * size_t(b.frames) + size_t(j)], fade_in, b.sample_rate);
      }
    }
}

OscillatorBank::OscillatorBank(int voices, int harmonics, int sample_rate, int hop)
    : voices_(voices), harmonics_(harmonics), sample_rate_(sample_rate), hop_(hop) {
  if (voices < 1 || harmonics < 1 || sample_rate < 1 || hop < 1) throw Error("oscillator_bank", "voices, harmonics, rate and hop must be positive");
  last_f0_.assign(size_t(voices), 0.0f);
  last_amps_.assign(size_t(voices) * size_t(harmonics), 0.0f);
  phase_.assign(size_t(voices), 0.0);
}

void OscillatorBank::start(int v, float f0, float amplitude, const float* distribution) {
  if (v < 0 || v >= voices_) throw Error("voice", std::to_string(v) + " is outside the bank's " + std::to_string(voices_));
  last_f0_[size_t(v)] = f0;
  frame_amplitudes(f0, amplitude, distribution, harmonics_, harmonic_cutoff_hz(float(sample_rate_)), last_amps_.data() + size_t(v) * size_t(harmonics_));
  phase_[size_t(v)] = 0;
}

void OscillatorBank::push(int frames, const float* f0, const float* amplitude, const float* distribution, float* out,
                          const Renderer& render) {
  if (frames < 1) return;
  OscillatorBlock& b = block_;
  const size_t H = size_t(harmonics_), F = size_t(frames);
  b.voices = voices_, b.frames = frames, b.harmonics = harmonics_, b.hop = hop_, b.sample_rate = float(sample_rate_);
  b.f0.resize(size_t(voices_) * (F + 1));
  b.amplitudes.resize(size_t(voices_) * (F + 1) * H);
  b.starts.resize(size_t(voices_) * F);
  const float nyquist = harmonic_cutoff_hz(float(sample_rate_));
  for (size_t v = 0; v < size_t(voices_); ++v) {
    float* f = b.f0.data() + v * (F + 1);
    float* a = b.amplitudes.data() + v * (F + 1) * H;
    f[0] = last_f0_[v];
    std::copy(last_amps_.begin() + long(v * H), last_amps_.begin() + long((v + 1) * H), a);
    for (size_t j = 0; j < F; ++j) {
      f[j + 1] = f0[v * F + j];
      frame_amplitudes(f[j + 1], amplitude[v * F + j], distribution + (v * F + j) * H, harmonics_, nyquist, a + (j + 1) * H);
    }
    // Each hop's start phase, summed in double and wrapped, so long notes keep their precision.
    double phase = phase_[v];
    for (size_t j = 0; j < F; ++j) {
      b.starts[v * F + j] = float(phase);
      phase += hop_advance(f[j], f[j + 1], hop_, sample_rate_);
      phase -= std::floor(phase);
    }
    phase_[v] = phase;
    last_f0_[v] = f[F];
    std::copy(a + F * H, a + (F + 1) * H, last_amps_.begin() + long(v * H));
  }
  render(b, out);
}

}  // namespace timbrel::synth
