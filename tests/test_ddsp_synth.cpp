// The DDSP synthesizers against NumPy golden data: Magenta's DDSP graph's harmonic and
// filtered-noise branches written whole-window in float64 (tests/golden/make_ddsp_synth_golden.py).
// The C++ side streams frame by frame, so these also check that streaming adds nothing.
#include <gtest/gtest.h>

#include <cmath>

#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "timbrel/error.h"
#include "util/npy.h"

using namespace timbrel;

namespace {

std::vector<float> golden(const std::string& name) {
  NpyArray a = read_npy(std::string(TIMBREL_TEST_DATA_DIR) + "/ddsp/" + name + ".npy");
  return std::vector<float>(a.data.begin(), a.data.end());
}

double snr_db(const std::vector<float>& got, const std::vector<float>& want) {
  double signal = 0, error = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    signal += double(want[i]) * want[i];
    error += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
  }
  return 10 * std::log10(signal / std::max(error, 1e-30));
}

TEST(DdspSynth, HarmonicMatchesTheGraphsFormulas) {
  const auto f0 = golden("controls_f0"), amp = golden("controls_amplitude"), dist = golden("controls_distribution");
  const auto got = synth::harmonic_synthesis(f0, amp, dist, 60);
  // The graph's phase is a float sum: against the exact (float64) phase it drifts to ~1e-3 rad
  // within a 1000-sample chunk (66 dB here); against the same float arithmetic, only the sine's
  // argument wrapping and the amplitudes' rounding differ.
  const auto exact = golden("harmonic"), graph = golden("harmonic_graph_phase");
  ASSERT_EQ(got.size(), exact.size());
  EXPECT_GT(snr_db(got, exact), 60.0);
  EXPECT_GT(snr_db(got, graph), 90.0);
  EXPECT_LT(snr_db(got, exact), 75.0);  // the float sum is really there (not a double one)
}

TEST(DdspSynth, HarmonicStreamsInAnyFrameGrouping) {
  const auto f0 = golden("controls_f0"), amp = golden("controls_amplitude"), dist = golden("controls_distribution");
  const auto whole = synth::harmonic_synthesis(f0, amp, dist, 60);
  synth::HarmonicSynth s(60);
  std::vector<float> streamed(whole.size() + 64, 0.0f);
  float* at = streamed.data();
  EXPECT_EQ(s.push_frame(f0[0], amp[0], dist.data(), at), 0);  // the first frame: nothing yet
  for (size_t j = 1; j < f0.size(); ++j) at += s.push_frame(f0[j], amp[j], dist.data() + j * 60, at);
  at += s.finish(at);
  EXPECT_EQ(size_t(at - streamed.data()), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(streamed[i], whole[i]) << i;
}

TEST(DdspSynth, HarmonicsAtNyquistAreSilentAndTheRestRenormalised) {
  // f0 5 kHz at 16 kHz: harmonic 1 is under Nyquist, 2 is at it. All weight on harmonic 2 ->
  // silence; equal weights -> harmonic 1 alone at the full amplitude.
  synth::HarmonicSynth s(2);
  const float only_second[2] = {0.0f, 1.0f}, equal[2] = {1.0f, 1.0f};
  std::vector<float> out(64);
  s.push_frame(5000, 0.8f, only_second, out.data());
  s.finish(out.data());
  for (float v : out) EXPECT_EQ(v, 0.0f);
  s.reset();
  std::vector<float> tone(64 * 200);
  float* at = tone.data();
  for (int j = 0; j < 200; ++j) at += s.push_frame(5000, 0.8f, equal, at);
  s.finish(at);
  float peak = 0;
  for (float v : tone) peak = std::max(peak, std::fabs(v));
  EXPECT_NEAR(peak, 0.8f, 1e-3);
  const float nan_weight[2] = {NAN, 1.0f};
  EXPECT_THROW(s.push_frame(100, 0.5f, nan_weight, out.data()), Error);
  EXPECT_THROW(s.push_frame(100, -1.0f, equal, out.data()), Error);
  EXPECT_THROW(synth::HarmonicSynth(0), Error);
}

TEST(DdspSynth, FilteredNoiseMatchesTheGraphsFormulas) {
  const auto mags = golden("controls_noise_magnitudes"), noise = golden("controls_noise"), want = golden("filtered_noise");
  synth::FilteredNoise s(65);
  std::vector<float> got(want.size());
  float* at = got.data();
  const size_t frames = mags.size() / 65;
  for (size_t j = 0; j < frames; ++j) at += s.push_frame(mags.data() + j * 65, noise.data() + j * 64, at);
  at += s.finish(at);
  ASSERT_EQ(size_t(at - got.data()), want.size());
  double peak = 0, err = 0;
  for (size_t i = 0; i < want.size(); ++i) peak = std::max(peak, double(std::fabs(want[i]))), err = std::max(err, double(std::fabs(got[i] - want[i])));
  EXPECT_LT(err, 1e-5 * peak);
  EXPECT_GT(peak, 0.01);
}

TEST(DdspSynth, FilteredNoiseShapesItsSpectrum) {
  // Magnitudes 1 up to 2 kHz, 0 above: 5 kHz lies 30 dB and more below 1 kHz (the Hann-windowed
  // 128-tap response's skirt).
  std::vector<float> lowpass(65, 0.0f);
  for (int k = 0; k <= 16; ++k) lowpass[size_t(k)] = 1.0f;
  std::vector<float> mags;
  for (int j = 0; j < 500; ++j) mags.insert(mags.end(), lowpass.begin(), lowpass.end());
  const auto out = synth::filtered_noise(mags, 65, 64, 3);
  double low = 0, high = 0;
  for (size_t f = 0; f + 512 <= out.size(); f += 512) {  // DFT power at 1 kHz and 5 kHz per block
    for (double hz : {1000.0, 5000.0}) {
      double re = 0, im = 0;
      for (size_t n = 0; n < 512; ++n) {
        re += out[f + n] * std::cos(2 * M_PI * hz * double(n) / 16000);
        im += out[f + n] * std::sin(2 * M_PI * hz * double(n) / 16000);
      }
      (hz < 2000 ? low : high) += re * re + im * im;
    }
  }
  EXPECT_GT(10 * std::log10(low / high), 30.0);
  EXPECT_THROW(synth::filtered_noise(std::vector<float>(64, 1.0f), 65), Error);
  std::vector<float> negative(65, 1.0f);
  negative[3] = -1;
  EXPECT_THROW(synth::filtered_noise(negative, 65), Error);
}

}  // namespace
