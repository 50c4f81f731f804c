#include "synth/filtered_noise.h"

#include <algorithm>
#include <cmath>

#include "timbrel/error.h"

namespace timbrel::synth {

FilteredNoise::FilteredNoise(int bands, int hop, uint64_t seed) : bands_(bands), hop_(hop), taps_(2 * (bands - 1)) {
  if (bands < 2 || bands > 4097) throw Error("bands", "must be 2..4097");
  if (hop < 1 || hop > 65536) throw Error("hop", "must be 1..65536 samples");
  const size_t taps = size_t(taps_), n = size_t(bands_);
  cosines_.resize(taps * n);
  for (size_t t = 0; t < taps; ++t)
    for (size_t k = 0; k < n; ++k) {
      const double weight = (k == 0 || k == n - 1) ? 1.0 : 2.0;  // the inverse real DFT's mirrored bins
      cosines_[t * n + k] = float(weight * std::cos(2 * M_PI * double(k * t) / double(taps)) / double(taps));
    }
  window_.resize(taps);
  for (size_t j = 0; j < taps; ++j) window_[j] = float(0.5 - 0.5 * std::cos(2 * M_PI * double(j) / double(taps)));
  ir_.resize(taps);
  noise_.resize(size_t(hop));
  reset(seed);
}

void FilteredNoise::reset(uint64_t seed) {
  rng_.seed(uint32_t(seed ^ (seed >> 32)));
  // The overlap-add from 2 + delay samples before the coming hop to the end of its response.
  tail_.assign(size_t(hop_ + taps_ + hop_), 0.0f);
  started_ = false;
}

void FilteredNoise::impulse_response(const float* magnitudes, float* ir) const {
  const size_t taps = size_t(taps_), n = size_t(bands_), half = taps / 2;
  for (size_t k = 0; k < n; ++k)
    if (!(magnitudes[k] >= 0) || !std::isfinite(magnitudes[k])) throw Error("magnitudes", "must be finite and non-negative");
  for (size_t j = 0; j < taps; ++j) {
    const float* row = cosines_.data() + ((j + half) % taps) * n;  // tap j of the causal response = zero-phase tap j - taps/2
    float v = 0;
    for (size_t k = 0; k < n; ++k) v += row[k] * magnitudes[k];
    ir[j] = v * window_[j];
  }
}

int FilteredNoise::push_frame(const float* magnitudes, float* out) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& v : noise_) v = uniform(rng_);
  return push_frame(magnitudes, noise_.data(), out);
}

int FilteredNoise::push_frame(const float* magnitudes, const float* noise, float* out) {
  impulse_response(magnitudes, ir_.data());
  // tail_[0] is overlap-add sample (this hop's start - delay_ahead): the graph's output is the
  // overlap-add delay samples late, so the hop emitted now (the one before this frame) ends delay
  // samples into this frame's response.
  const int delay = (taps_ - 1) / 2 - 1, lead = hop_ - delay;
  float* at = tail_.data() + lead;
  for (int i = 0; i < hop_; ++i) {
    const float u = noise[i];
    float* row = at + i;
    for (int t = 0; t < taps_; ++t) row[t] += u * ir_[size_t(t)];
  }
  const bool first = !started_;
  started_ = true;
  if (!first) std::copy(tail_.begin(), tail_.begin() + hop_, out);
  std::copy(tail_.begin() + hop_, tail_.end(), tail_.begin());
  std::fill(tail_.end() - hop_, tail_.end(), 0.0f);
  return first ? 0 : hop_;
}

int FilteredNoise::finish(float* out) {
  if (!started_) return 0;
  std::copy(tail_.begin(), tail_.begin() + hop_, out);
  std::fill(tail_.begin(), tail_.end(), 0.0f);
  started_ = false;
  return hop_;
}

std::vector<float> filtered_noise(const std::vector<float>& magnitudes, int bands, int hop, uint64_t seed) {
  if (bands < 2 || magnitudes.size() % size_t(bands) != 0) throw Error("magnitudes", "needs frames x bands values");
  const size_t frames = magnitudes.size() / size_t(bands);
  FilteredNoise synth(bands, hop, seed);
  std::vector<float> out(frames * size_t(hop));
  float* at = out.data();
  for (size_t j = 0; j < frames; ++j) at += synth.push_frame(magnitudes.data() + j * size_t(bands), at);
  synth.finish(at);
  return out;
}

}  // namespace timbrel::synth
