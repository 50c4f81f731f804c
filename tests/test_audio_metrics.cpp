// The note measures behind `eval timbre --sweep`: each checked on signals whose answer is known.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "spectral/spectrogram_image.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"

using namespace timbrel;
using namespace timbrel::train;

namespace {

double midi_hz(double midi) { return 440.0 * std::pow(2.0, (midi - 69) / 12.0); }

// Harmonics 1..K of f0 with 1/k amplitudes, 4 s at 16 kHz.
std::vector<float> harmonic_tone(double f0, int harmonics = 12, double gain = 0.3) {
  std::vector<float> x(kNoteSamples);
  for (size_t i = 0; i < x.size(); ++i) {
    double v = 0;
    for (int k = 1; k <= harmonics && k * f0 < 7900; ++k) v += std::sin(2 * M_PI * k * f0 * double(i) / kNoteSampleRate) / k;
    x[i] = float(gain * v);
  }
  return x;
}

std::vector<float> white_noise(double gain, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(kNoteSamples);
  for (float& v : x) v = float(gain) * n(rng);
  return x;
}

}  // namespace

TEST(AudioMetrics, HarmonicToNoiseSeparatesTonesAtThePitchFromNoiseAndWrongPitches) {
  for (int midi : {24, 45, 69, 84}) {
    EXPECT_GT(harmonic_to_noise_db(harmonic_tone(midi_hz(midi)), midi), 25) << midi;
    // The same tone a tritone away is no note at this pitch.
    EXPECT_LT(harmonic_to_noise_db(harmonic_tone(midi_hz(midi + 6)), midi), 0) << midi;
  }
  const double noise = harmonic_to_noise_db(white_noise(0.1, 1), 69);
  EXPECT_NEAR(noise, 0, 1.5);  // half the band is "harmonic" at any pitch
  // Noise mixed in lowers it: tone and noise of equal power near 0 dB plus the band share.
  auto mixed = harmonic_tone(midi_hz(60));
  const auto n = white_noise(0.3 / std::sqrt(2.0) * 1.1, 2);
  for (size_t i = 0; i < mixed.size(); ++i) mixed[i] += n[i];
  const double h = harmonic_to_noise_db(mixed, 60);
  EXPECT_GT(h, 1);
  EXPECT_LT(h, 8);
}

TEST(AudioMetrics, SubsonicFractionFindsRumbleAndDc) {
  EXPECT_LT(subsonic_fraction(harmonic_tone(110)), 1e-4);
  auto x = harmonic_tone(110, 1, 0.3);
  const auto rumble = harmonic_tone(12, 1, 0.3);
  for (size_t i = 0; i < x.size(); ++i) x[i] += rumble[i];
  EXPECT_NEAR(subsonic_fraction(x), 0.5, 0.02);
  std::vector<float> dc(kNoteSamples, 0.25f);
  EXPECT_GT(subsonic_fraction(dc), 0.99);
}

TEST(AudioMetrics, PeakDecayAndLogSpectralDistance) {
  auto tone = harmonic_tone(220, 8, 0.5);
  EXPECT_NEAR(peak_db(tone), 20 * std::log10(*std::max_element(tone.begin(), tone.end())), 1e-5);
  // An exponential decay of 60 dB/s falls 30 dB in 0.5 s.
  std::vector<float> hit(kNoteSamples);
  for (size_t i = 0; i < hit.size(); ++i) hit[i] = tone[i] * float(std::pow(10.0, -3.0 * double(i) / kNoteSampleRate));
  EXPECT_NEAR(decay_seconds(hit), 0.5, 0.03);
  EXPECT_NEAR(log_spectral_distance(tone, tone), 0, 1e-9);
  // Level does not count (both are scaled to unit RMS); timbre does.
  auto louder = tone;
  for (float& v : louder) v *= 3;
  EXPECT_NEAR(log_spectral_distance(louder, tone), 0, 1e-3);
  EXPECT_GT(log_spectral_distance(white_noise(0.1, 3), tone), 10);
  EXPECT_LT(log_spectral_distance(harmonic_tone(220, 7, 0.5), tone), log_spectral_distance(harmonic_tone(233, 8, 0.5), tone));
}

// Band energies weigh every sample alike: a click at sample 0 (a drum hit's onset) counts as much
// as one mid-signal (a Hann frame starting at 0 would see almost none of it), and white noise
// shares its energy by bandwidth.
TEST(AudioMetrics, BandEnergiesCountEverySampleAlike) {
  const int rate = 48000;
  const std::vector<double> edges{0, 8000, 16000, 24000.5};
  std::vector<float> first(rate), middle(rate);
  first[0] = 1, middle[20000] = 1;
  const auto a = band_energies(first.data(), first.size(), rate, edges), b = band_energies(middle.data(), middle.size(), rate, edges);
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(a[k], b[k], 0.01 * b[k]) << k;
  const std::vector<float> noise = white_noise(0.1, 7);  // 16 kHz: all of it below 8 kHz
  const auto n = band_energies(noise.data(), noise.size(), 16000, {0, 2000, 8000.5});
  EXPECT_NEAR(n[1] / n[0], 3.0, 0.3);
}

TEST(AudioMetrics, SpectrogramImagesJoin) {
  const auto tone = harmonic_tone(440, 1, 0.5);
  const RgbImage a = audio_spectrogram(tone.data(), 16000);
  EXPECT_EQ(a.height, 513);
  EXPECT_EQ(a.width, (16000 - 1024) / 256 + 1);
  // The 440 Hz row (bin 28 from the bottom) is the brightest of its column.
  auto brightness = [&](int row, int col) {
    const size_t i = (size_t(row) * size_t(a.width) + size_t(col)) * 3;
    return int(a.rgb[i]) + a.rgb[i + 1] + a.rgb[i + 2];
  };
  EXPECT_GT(brightness(a.height - 1 - 28, 20), brightness(a.height - 1 - 200, 20));
  const RgbImage row = beside({a, a}, 3), grid = above({row, a}, 5);
  EXPECT_EQ(row.width, 2 * a.width + 3);
  EXPECT_EQ(grid.height, 2 * a.height + 5);
  EXPECT_EQ(grid.width, row.width);
}

// The independent tracker must hear the top of the keyboard in tune (at 16 kHz, YIN's integer lags
// put a C6 a fourth low) and must still hear a detuned note as detuned.
TEST(AudioMetrics, AubioTracksHighNotesInTuneAndDetunedNotesAsDetuned) {
  if (!aubiopitch_available()) GTEST_SKIP() << "no aubiopitch (apt install aubio-tools)";
  const std::string wav = ::testing::TempDir() + "/tracker_scratch.wav";
  for (int midi : {24, 32, 48, 72, 83, 84}) {
    const double tracked = aubio_median_pitch(harmonic_tone(midi_hz(midi), 6), kNoteSampleRate, wav);
    ASSERT_FALSE(std::isnan(tracked)) << midi;
    EXPECT_LT(std::abs(folded_cents(tracked, midi)), 20) << midi << " tracked as " << tracked;
  }
  const double detuned = aubio_median_pitch(harmonic_tone(midi_hz(84.7), 6), kNoteSampleRate, wav);
  EXPECT_NEAR(folded_cents(detuned, 84), 70, 20);
}
