#include "audio/true_peak_limiter.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace timbrel {
namespace {

constexpr int kOversample = 4;
constexpr int kHalfTaps = 16;  // input frames on each side of an interpolated point
constexpr int kTaps = 2 * kHalfTaps;
using PhaseTaps = std::array<std::array<float, kTaps>, kOversample>;

double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
  }
  return sum;
}

// Phase p (p/4 of a frame after frame n) weights frame n + k - (kHalfTaps - 1) by taps[p][k]: a
// windowed sinc, window(d) at a distance of d frames.
template <typename Window>
PhaseTaps interpolation_taps(Window window) {
  PhaseTaps taps{};
  for (int p = 1; p < kOversample; ++p)
    for (int k = 0; k < kTaps; ++k) {
      const double d = double(p) / kOversample - (k - (kHalfTaps - 1));
      taps[p][k] = float(std::sin(M_PI * d) / (M_PI * d) * window(d));
    }
  return taps;
}

// Two interpolators: a Kaiser window (beta 8, 16 frames each side: what a DAC reconstructs,
// near-Nyquist content included) and BS.1770's meter as libebur128 builds it (49 taps at 4x, a
// Hann window 6 frames each side), which reads some transients up to ~0.2 dB higher. The limiter
// holds the larger of the two, so that the meter agrees with it.
const std::array<PhaseTaps, 2>& interpolators() {
  static const std::array<PhaseTaps, 2> banks = {
      interpolation_taps([](double d) {
        const double r = d / kHalfTaps;
        return bessel_i0(8.0 * std::sqrt(std::max(0.0, 1 - r * r))) / bessel_i0(8.0);
      }),
      interpolation_taps([](double d) { return std::fabs(d) < 6 ? 0.5 * (1 + std::cos(M_PI * d / 6)) : 0.0; })};
  return banks;
}

// v[i] = min(v[i .. i + width - 1]) in place, past the end counting as +inf (van Herk /
// Gil-Werman: three passes whatever the width).
void forward_min(std::vector<float>& v, size_t width, std::vector<float>& from_start, std::vector<float>& to_end) {
  const size_t n = v.size(), padded = ((n + 2 * (width - 1)) / width) * width;
  const float inf = std::numeric_limits<float>::infinity();
  from_start.resize(padded);
  to_end.resize(padded);
  for (size_t block = 0; block < padded; block += width) {
    float run = inf;
    for (size_t i = block; i < block + width; ++i) from_start[i] = run = std::min(run, i < n ? v[i] : inf);
    run = inf;
    for (size_t i = block + width; i-- > block;) to_end[i] = run = std::min(run, i < n ? v[i] : inf);
  }
  for (size_t i = 0; i < n; ++i) v[i] = std::min(to_end[i], from_start[i + width - 1]);
}

}  // namespace

std::vector<float> oversampled_peaks(const Audio& audio) {
  const size_t frames = audio.frames(), channels = size_t(audio.channels);
  std::vector<float> peaks(frames, 0.0f);
  constexpr size_t kBlock = 4096;  // frames per pass: the block and its sums stay in cache
  std::vector<float> window(kBlock + kTaps), sum(kBlock);
  for (size_t c = 0; c < channels; ++c)
    for (size_t start = 0; start < frames; start += kBlock) {
      const size_t n = std::min(kBlock, frames - start);
      for (size_t i = 0; i < n + kTaps; ++i) {
        const long long frame = (long long)(start + i) - (kHalfTaps - 1);
        window[i] = frame >= 0 && frame < (long long)frames ? audio.samples[size_t(frame) * channels + c] : 0.0f;
      }
      for (size_t i = 0; i < n; ++i)
        peaks[start + i] = std::max(peaks[start + i], std::fabs(window[i + kHalfTaps - 1]));
      for (const PhaseTaps& taps : interpolators())
        for (int p = 1; p < kOversample; ++p) {
          std::fill(sum.begin(), sum.begin() + n, 0.0f);
          // Taps outer, frames inner: each frame's sum stays in order, and the inner loop vectorises.
          for (int k = 0; k < kTaps; ++k) {
            const float h = taps[p][k];
            if (h == 0.0f) continue;
            for (size_t i = 0; i < n; ++i) sum[i] += h * window[i + k];
          }
          for (size_t i = 0; i < n; ++i) peaks[start + i] = std::max(peaks[start + i], std::fabs(sum[i]));
        }
    }
  return peaks;
}

double meter_interpolator_gain() {
  double largest = 1.0;  // phase 0 reads the sample itself
  for (const auto& phase : interpolators()[1]) {
    double sum = 0;
    for (float w : phase) sum += std::fabs(double(w));
    largest = std::max(largest, sum);
  }
  return largest * 1.01;
}

LimiterShape limiter_shape(int sample_rate) {
  LimiterShape s;
  s.attack_frames = std::max<size_t>(1, size_t(std::lround(0.005 * sample_rate)));
  s.release_coeff = std::exp(-1.0 / (0.060 * sample_rate));
  return s;
}

void limiter_gain(const std::vector<float>& peaks, double threshold, const LimiterShape& shape, LimiterBuffers& buffers,
                  std::vector<float>& gain) {
  const size_t n = peaks.size(), attack = std::max<size_t>(1, shape.attack_frames), lead = attack - 1;
  // Required gain per frame, over the frame and two neighbours each side (the oversampled value
  // between frames depends on the gains around it); `lead` frames of 1 before the first frame.
  std::vector<float>& held = buffers.required;
  held.assign(lead + n, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    float peak = 0;
    for (size_t j = i >= 2 ? i - 2 : 0; j <= std::min(n - 1, i + 2); ++j) peak = std::max(peak, peaks[j]);
    if (peak > threshold) held[lead + i] = float(threshold / peak);
  }
  forward_min(held, attack, buffers.from_start, buffers.to_end);
  float g = 1.0f;
  for (float& h : held) h = g = std::min(h, float(1.0 - (1.0 - g) * shape.release_coeff));
  // Moving average over the attack window ending at each frame (padded index i + lead).
  gain.resize(n);
  double window = 0;
  for (size_t k = 0; k < lead; ++k) window += held[k];
  for (size_t i = 0; i < n; ++i) {
    window += held[i + lead];
    gain[i] = float(window / double(attack));
    window -= held[i];
  }
}

std::vector<float> limiter_gain(const std::vector<float>& peaks, double threshold, const LimiterShape& shape) {
  LimiterBuffers buffers;
  std::vector<float> gain;
  limiter_gain(peaks, threshold, shape, buffers, gain);
  return gain;
}

void apply_gain(const Audio& audio, double scale, const std::vector<float>& gain, Audio& out) {
  const size_t channels = size_t(audio.channels);
  out.sample_rate = audio.sample_rate;
  out.channels = audio.channels;
  out.samples.resize(audio.samples.size());
  for (size_t f = 0; f < audio.frames(); ++f) {
    const double g = scale * (gain.empty() ? 1.0 : double(gain[f]));
    for (size_t c = 0; c < channels; ++c) out.samples[f * channels + c] = float(audio.samples[f * channels + c] * g);
  }
}

}  // namespace timbrel
