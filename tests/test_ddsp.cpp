// Magenta's DDSP violin (TF.js graph model) in libtorch + the CPU synthesizers against magenta.js
// 1.23.1 on the same f0 and loudness (tests/golden/make_ddsp_golden.mjs, tfjs 2.7.0's CPU backend).
// The weights are reference data outside the repository: the tests skip without them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "test_util.h"
#include "timbrel/ddsp.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "util/npy.h"

using namespace timbrel;

namespace {

const std::string kViolin = std::string(TIMBREL_DEFAULT_SHARED_DIR) + "/models-ext/ddsp/violin";

std::vector<float> golden(const std::string& name) {
  NpyArray a = read_npy(std::string(TIMBREL_SOURCE_DIR) + "/tests/data/ddsp/magentajs_violin_" + name + ".npy");
  return std::vector<float>(a.data.begin(), a.data.end());
}

// max |a - b| / max |b|
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, peak = 0;
  for (size_t i = 0; i < b.size(); ++i) err = std::max(err, double(std::fabs(a[i] - b[i]))), peak = std::max(peak, double(std::fabs(b[i])));
  return err / peak;
}

double snr_db(const std::vector<float>& got, const std::vector<float>& want, size_t from, size_t to) {
  double signal = 0, error = 0;
  for (size_t i = from; i < to; ++i) signal += double(want[i]) * want[i], error += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
  return 10 * std::log10(signal / std::max(error, 1e-30));
}

class DdspParity : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kViolin + "/model.json")) GTEST_SKIP() << "no " << kViolin << " (Magenta's DDSP weights, see ../shared/models-ext)";
  }
};

TEST_F(DdspParity, DecoderOutputsMatchMagentaJs) {
  Ddsp violin = Ddsp::load(kViolin);
  EXPECT_EQ(violin.info().parameters, 809726);
  const DdspControls c = violin.controls(golden("f0_hz"), golden("loudness_db"));
  ASSERT_EQ(c.frames, 1250u);
  const double amp = relative_error(c.amplitude, golden("amplitude"));
  const double dist = relative_error(c.distribution, golden("harmonic_distribution"));
  const double noise = relative_error(c.noise, golden("noise_magnitudes"));
  std::printf("decoder vs magenta.js, max error / peak: amplitude %.2e, distribution %.2e, noise %.2e\n", amp, dist, noise);
  EXPECT_LT(amp, 1e-4);
  EXPECT_LT(dist, 1e-4);
  EXPECT_LT(noise, 1e-4);
}

TEST_F(DdspParity, HarmonicAudioMatchesMagentaJs) {
  Ddsp violin = Ddsp::load(kViolin);
  const auto f0 = golden("f0_hz");
  const auto want = golden("harmonic_audio");
  const auto got = violin.render(f0, golden("loudness_db"), /*noise=*/false);
  ASSERT_EQ(got.size(), want.size());
  const double first = snr_db(got, want, 0, 16000), all = snr_db(got, want, 0, 70400);
  std::printf("harmonic audio vs magenta.js: SNR %.1f dB over the first second, %.1f dB over the voiced 4.4 s\n", first, all);
  EXPECT_GT(all, 90.0);  // 96 dB: the same float phase arithmetic, down to the 2 pi / rate constant
}

TEST_F(DdspParity, NoiseSpectrumMatchesMagentaJs) {
  // The noise is random in both (tfjs's generator is not ours): compare the noise parts' average
  // power spectra over the voiced stretch, in 16 bands of 500 Hz.
  Ddsp violin = Ddsp::load(kViolin);
  const auto f0 = golden("f0_hz"), ld = golden("loudness_db");
  const auto full = golden("audio"), harm = golden("harmonic_audio");
  const DdspControls c = violin.controls(f0, ld);
  const auto ours_harm = violin.synthesize(c, f0, false);
  auto band_power = [](const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<double> bands(16, 0.0);
    for (size_t start = 0; start + 512 <= 70400; start += 512)
      for (int k = 1; k < 256; ++k) {
        double re = 0, im = 0;
        for (size_t n = 0; n < 512; ++n) {
          const double x = double(a[start + n]) - b[start + n], w = 0.5 - 0.5 * std::cos(2 * M_PI * double(n) / 512);
          re += w * x * std::cos(2 * M_PI * k * double(n) / 512), im += w * x * std::sin(2 * M_PI * k * double(n) / 512);
        }
        bands[size_t(k / 16)] += re * re + im * im;
      }
    return bands;
  };
  const auto theirs_bands = band_power(full, harm);
  std::vector<double> ours_bands(16, 0.0);
  for (uint64_t seed = 1; seed <= 4; ++seed) {  // ours averaged over 4 draws: the spread left is theirs
    const auto b = band_power(violin.synthesize(c, f0, true, seed), ours_harm);
    for (size_t k = 0; k < 16; ++k) ours_bands[k] += b[k] / 4;
  }
  double worst = 0;
  for (size_t b = 0; b < 16; ++b) worst = std::max(worst, std::fabs(10 * std::log10(ours_bands[b] / theirs_bands[b])));
  std::printf("noise band powers vs magenta.js: worst band %.2f dB\n", worst);
  EXPECT_LT(worst, 1.0);  // one draw of theirs: ~0.5 dB of spread per band
}

TEST_F(DdspParity, BadInputsAreErrors) {
  Ddsp violin = Ddsp::load(kViolin);
  EXPECT_THROW(violin.controls({}, {}), Error);
  EXPECT_THROW(violin.controls({440, 440}, {-30}), Error);
  EXPECT_THROW(violin.controls({NAN}, {-30}), Error);
  EXPECT_THROW(Ddsp::load(test::temp_dir()), Error);
}

// timbrel note --engine ddsp drives the model with curves from files: the harmonic part is the
// library's to 16-bit rounding; bad combinations are clear errors and leave no file.
TEST_F(DdspParity, NoteCommandDrivesTheModelWithCurves) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  const std::string data = std::string(TIMBREL_SOURCE_DIR) + "/tests/data/ddsp/magentajs_violin_";
  const std::string f0 = data + "f0_hz.npy", ld = data + "loudness_db.npy";
  std::string out;
  ASSERT_EQ(test::run_command(bin + " note --engine ddsp -m " + kViolin + " --f0-file " + f0 + " --loudness-file " + ld +
                                  " --no-noise --bit-depth float -o " + dir + "/violin.wav",
                              &out, true),
            0)
      << out;
  const Audio a = read_sound_file(dir + "/violin.wav");
  const auto want = Ddsp::load(kViolin).render(golden("f0_hz"), golden("loudness_db"), false);
  ASSERT_EQ(a.samples.size(), want.size());
  EXPECT_GT(snr_db(a.samples, want, 0, want.size()), 120.0);
  EXPECT_NE(test::run_command(bin + " note --engine ddsp -m " + kViolin + " --f0-file " + f0 + " -o " + dir + "/x.wav", &out, true), 0);
  EXPECT_NE(out.find("--loudness-file"), std::string::npos) << out;
  EXPECT_NE(test::run_command(bin + " note --engine ddsp -m " + kViolin + " --pitch 60 --f0-file " + f0 + " --loudness-file " + ld +
                                  " -o " + dir + "/x.wav",
                              &out, true),
            0);
  EXPECT_NE(out.find("--pitch"), std::string::npos) << out;
  EXPECT_NE(test::run_command(bin + " note --engine ddsp -m " + kViolin + " --f0-file " + f0 + " --loudness-file " + data +
                                  "harmonic_audio.npy -o " + dir + "/y.wav",
                              &out, true),
            0);
  EXPECT_NE(out.find("frames"), std::string::npos) << out;
  EXPECT_FALSE(test::file_exists(dir + "/y.wav"));
}

}  // namespace
