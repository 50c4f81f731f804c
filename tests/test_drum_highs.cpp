// The drum hits' high band (render/drum_highs.h, train/drum_highs_fit.h): the file, the synthesis,
// and the shipped fit against FluidSynth's 48 kHz Standard kit through the renderer's chain.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "audio/resample.h"
#include "render/drum_highs.h"
#include "render/note_level.h"
#include "spectral/stft.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/sound_file.h"
#include "train/audio_metrics.h"
#include "train/drum_highs_fit.h"
#include "util/png.h"

namespace fs = std::filesystem;
using namespace timbrel;

namespace {

const char* kFluidR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

// Energy above 8 kHz over the whole energy (dB), from one rectangular-window DFT of the signal:
// independent of the STFT bands the fitter and the synthesis use.
double high_share_db(const std::vector<float>& x, int rate) {
  const int n = int(x.size() + x.size() % 2);
  std::vector<float> ones(size_t(n), 1.0f), padded(x);
  padded.resize(size_t(n), 0.0f);
  const Stft dft(n, n, ones, ones);
  std::vector<cfloat> spec(size_t(dft.bins()));
  dft.analyze(padded.data(), 1, spec.data());
  double high = 0, all = 0;
  for (int k = 1; k < dft.bins(); ++k) {
    const double p = std::norm(spec[size_t(k)]);
    all += p;
    if (double(k) * rate / n >= 8000) high += p;
  }
  return 10 * std::log10(std::max(high, 1e-30) / std::max(all, 1e-30));
}

// A synthetic 48 kHz "hit": a decaying white-noise burst (a hi-hat's kind of sound).
std::vector<float> noise_burst(uint32_t seed, double decay_s) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0, 0.1f);
  std::vector<float> x(48000 * 2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = gauss(rng) * float(std::exp(-double(i) / 48000 / decay_s));
  return x;
}

// One kit ("Test") whose every note carries `hit`'s high band.
DrumHighs fitted_from(const std::vector<float>& hit) {
  using namespace drum_highs;
  std::vector<float> env(kNotes * kBands * kKnots), ratio(kNotes * kBands);
  for (int n = 0; n < kNotes; ++n)
    EXPECT_TRUE(train::fit_hit_highs(hit, 48000, &env[size_t(n) * kBands * kKnots], &ratio[size_t(n) * kBands]));
  return DrumHighs({"Test"}, env, ratio);
}

std::vector<float> lowpassed_to_16k_and_back(const std::vector<float>& x) {
  Audio a{48000, 1, x};
  return resample(resample(a, 16000), 48000).samples;
}

}  // namespace

TEST(DrumHighs, AddsTheTruthsShareToALowPassedHit) {
  const std::vector<float> truth = noise_burst(1, 0.05);
  const DrumHighs h = fitted_from(truth);
  std::vector<float> hit = lowpassed_to_16k_and_back(truth);
  const double before = high_share_db(hit, 48000);
  h.add_high_band(hit, 48000, "Test", 42, 7);
  EXPECT_LT(before, -40);
  EXPECT_NEAR(high_share_db(hit, 48000), high_share_db(truth, 48000), 0.5);  // white noise: -1.8 dB
  // The band starts at the onset and decays as the truth's does: little energy after 0.5 s.
  double early = 0, late = 0;
  for (size_t i = 0; i < hit.size(); ++i) (i < 24000 ? early : late) += double(hit[i]) * hit[i];
  EXPECT_LT(late, 1e-3 * early);
}

TEST(DrumHighs, IsDeterministicPerSeedAndANoOpWhereItHasNothing) {
  const DrumHighs h = fitted_from(noise_burst(2, 0.1));
  const std::vector<float> hit = lowpassed_to_16k_and_back(noise_burst(3, 0.1));
  std::vector<float> a = hit, b = hit, c = hit;
  h.add_high_band(a, 48000, "Test", 46, 1);
  h.add_high_band(b, 48000, "Test", 46, 1);
  h.add_high_band(c, 48000, "Test", 46, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (auto [rate, kit, note] : {std::tuple{16000, "Test", 46}, {48000, "Other", 46}, {48000, "Test", 34}, {48000, "Test", 82}}) {
    std::vector<float> same = hit;
    h.add_high_band(same, rate, kit, note, 1);
    EXPECT_EQ(same, hit) << rate << " " << kit << " " << note;
  }
  EXPECT_TRUE(h.has_kit("Test"));
  EXPECT_FALSE(h.has_kit("Standard"));
  // 44.1 kHz: the bands up to 22.05 kHz only.
  std::vector<float> at44 = resample(Audio{48000, 1, hit}, 44100).samples;
  h.add_high_band(at44, 44100, "Test", 46, 1);
  EXPECT_GT(high_share_db(at44, 44100), -6);
}

TEST(DrumHighs, FileRoundTripsAndBadFilesNameThemselves) {
  const DrumHighs h = fitted_from(noise_burst(4, 0.2));
  const std::string dir = testing::TempDir() + "drum_highs_file";
  fs::create_directories(dir);
  const std::string path = dir + "/" + drum_highs::kFileName;
  h.save(path, "{}");
  const auto loaded = DrumHighs::load_beside(dir);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->kits(), std::vector<std::string>{"Test"});
  EXPECT_NEAR(loaded->high_ratio("Test", 40), h.high_ratio("Test", 40), 1e-6 * h.high_ratio("Test", 40));
  std::vector<float> a = lowpassed_to_16k_and_back(noise_burst(5, 0.2)), b = a;
  h.add_high_band(a, 48000, "Test", 40, 3);
  loaded->add_high_band(b, 48000, "Test", 40, 3);
  double diff = 0, energy = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += double(a[i] - b[i]) * (a[i] - b[i]), energy += double(a[i]) * a[i];
  EXPECT_LT(diff, 1e-4 * energy);  // the envelope is stored as float16
  EXPECT_FALSE(DrumHighs::load_beside(dir + "/none").has_value());
  std::ofstream(dir + "/bad.safetensors") << "not a safetensors file";
  try {
    DrumHighs::load(dir + "/bad.safetensors");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.safetensors"), std::string::npos) << e.what();
  }
}

// The low gain scales the hit before its band is added (the band follows the scaled hit), survives
// the file, and a format-1 file (no low gain) plays at 0 dB.
TEST(DrumHighs, LowGainScalesTheHitAndRoundTrips) {
  using namespace drum_highs;
  const std::vector<float> burst = noise_burst(9, 0.2);
  std::vector<float> env(kNotes * kBands * kKnots), ratio(kNotes * kBands), gain(kNotes, 0.0f);
  for (int n = 0; n < kNotes; ++n) train::fit_hit_highs(burst, 48000, &env[size_t(n) * kBands * kKnots], &ratio[size_t(n) * kBands]);
  gain[size_t(40 - kFirstNote)] = -6;
  const DrumHighs h({"Test"}, env, ratio, gain);
  EXPECT_DOUBLE_EQ(h.low_gain_db("Test", 40), -6);
  EXPECT_DOUBLE_EQ(h.low_gain_db("Test", 41), 0);
  const std::vector<float> hit = lowpassed_to_16k_and_back(burst);
  std::vector<float> scaled = hit, plain = hit;
  h.add_high_band(scaled, 48000, "Test", 40, 5);
  h.add_high_band(plain, 48000, "Test", 41, 5);
  double e_scaled = 0, e_plain = 0;
  for (size_t i = 0; i < hit.size(); ++i) e_scaled += double(scaled[i]) * scaled[i], e_plain += double(plain[i]) * plain[i];
  EXPECT_NEAR(10 * std::log10(e_scaled / e_plain), -6.0, 0.3);  // low band and high band alike
  EXPECT_NEAR(high_share_db(scaled, 48000), high_share_db(plain, 48000), 0.5);

  const std::string dir = testing::TempDir() + "drum_highs_low_gain";
  fs::create_directories(dir);
  const std::string path = dir + "/" + kFileName;
  h.save(path, "{}");
  EXPECT_DOUBLE_EQ(DrumHighs::load(path).low_gain_db("Test", 40), -6);
  std::string bytes = timbrel::test::read_text(path);
  const size_t at = bytes.find(kFormat);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, std::string(kFormat).size(), kFormatWithoutLowGain);
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_DOUBLE_EQ(DrumHighs::load(path).low_gain_db("Test", 40), 0);
}

namespace {

// A hit as the renderer will play it: generated at 16 kHz, levelled, resampled to 48 kHz.
std::vector<std::vector<float>> standard_kit_hits(const Gansynth& g, const std::vector<int>& notes) {
  const std::vector<float> z = g.timbre("preset:Standard");
  std::vector<float> zs;
  for (size_t i = 0; i < notes.size(); ++i) zs.insert(zs.end(), z.begin(), z.end());
  std::vector<float> audio(notes.size() * kNoteSamples);
  g.generate_audio(zs, notes, g.played_inverse(), audio.data(), {}, {}, 2);
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < notes.size(); ++i) {
    std::vector<float> hit(audio.begin() + long(i * kNoteSamples), audio.begin() + long((i + 1) * kNoteSamples));
    level_note(hit, g.relative_level_db(z, notes[i]), kNoteSampleRate);
    out.push_back(resample(Audio{kNoteSampleRate, 1, hit}, 48000, kNotePassband).samples);
  }
  return out;
}

// Log-power spectrogram, 0..24 kHz bottom to top, ours above the truth: an image to look at
// (TIMBREL_DRUM_HIGHS_PNG=DIR).
void write_pair_png(const std::string& path, const std::vector<float>& ours, const std::vector<float>& truth) {
  const int fft = 1024, hop = 256, frames = 300, bins = fft / 2 + 1;  // the first 1.6 s
  const Stft stft = Stft::hann(fft, hop);
  std::vector<uint8_t> rgb(size_t(frames) * size_t(2 * bins) * 3);
  std::vector<double> db[2];
  for (int which = 0; which < 2; ++which) {
    std::vector<float> x = which ? truth : ours;
    x.resize(stft.signal_length(frames), 0.0f);
    std::vector<cfloat> spec(size_t(frames) * size_t(bins));
    stft.analyze(x.data(), frames, spec.data());
    for (const cfloat& c : spec) db[which].push_back(10 * std::log10(std::norm(c) + 1e-20));
  }
  const double top = *std::max_element(db[1].begin(), db[1].end());  // the truth's loudest bin; 90 dB shown
  for (int which = 0; which < 2; ++which) {
    for (int t = 0; t < frames; ++t)
      for (int k = 0; k < bins; ++k) {
        const double d = db[which][size_t(t) * size_t(bins) + size_t(k)];
        const uint8_t v = uint8_t(std::clamp((d - top + 90) / 90 * 255, 0.0, 255.0));
        const size_t row = size_t(which * bins + (bins - 1 - k));
        for (int c = 0; c < 3; ++c) rgb[(row * size_t(frames) + size_t(t)) * 3 + size_t(c)] = v;
      }
  }
  write_png(path, frames, 2 * bins, rgb);
}

}  // namespace

// The goal: every GM drum note 35..81 of the Standard kit carries FluidSynth's 8-24 kHz
// share within 3 dB at 48 kHz (the shipped fit through the renderer's chain); the LSD over
// 0-24 kHz with and without the band, and at 16 kHz, are printed.
TEST(DrumHighs, StandardKitSharesMatchFluidSynthAt48k) {
  const std::string model = std::string(TIMBREL_SOURCE_DIR) + "/models/gm-drums";
  if (!fs::exists(kFluidR3)) GTEST_SKIP() << "no " << kFluidR3 << " (apt install fluid-soundfont-gm)";
  const auto highs = DrumHighs::load_beside(model);
  ASSERT_TRUE(highs.has_value()) << "no " << model << "/" << drum_highs::kFileName;
  ASSERT_TRUE(highs->has_kit("Standard"));
  const Gansynth g = Gansynth::load(model);
  std::vector<int> notes;
  for (int n = drum_highs::kFirstNote; n <= drum_highs::kLastNote; ++n) notes.push_back(n);
  const auto ours = standard_kit_hits(g, notes);
  const auto truth = train::render_drum_hits(kFluidR3, 128, 0, notes);
  const auto truth16 = train::render_drum_hits(kFluidR3, 128, 0, notes, kNoteSampleRate);
  const char* png_dir = std::getenv("TIMBREL_DRUM_HIGHS_PNG");
  double worst = 0, sum_err = 0, lsd = 0, lsd_without = 0, lsd16 = 0;
  std::printf("note  truth  ours  before (8-24 kHz share, dB)  LSD 0-24k with / without, 0-8k\n");
  for (size_t i = 0; i < notes.size(); ++i) {
    std::vector<float> hit = ours[i];
    hit.resize(truth[i].size(), 0.0f);
    const std::vector<float> without = hit;
    highs->add_high_band(hit, 48000, "Standard", notes[i], uint64_t(notes[i]));
    const double t = high_share_db(truth[i], 48000), o = high_share_db(hit, 48000), b = high_share_db(without, 48000);
    const double l = train::log_spectral_distance(hit, truth[i]), lw = train::log_spectral_distance(without, truth[i]);
    std::vector<float> hit16 = resample(Audio{48000, 1, without}, kNoteSampleRate).samples;
    hit16.resize(truth16[i].size(), 0.0f);
    const double l16 = train::log_spectral_distance(hit16, truth16[i]);
    std::printf("%4d %6.1f %6.1f %6.1f  %5.1f / %5.1f, %5.1f\n", notes[i], t, o, b, l, lw, l16);
    EXPECT_NEAR(o, t, 3.0) << "note " << notes[i];
    worst = std::max(worst, std::fabs(o - t));
    sum_err += std::fabs(o - t), lsd += l, lsd_without += lw, lsd16 += l16;
    if (png_dir && (notes[i] == 42 || notes[i] == 46 || notes[i] == 49 || notes[i] == 51 || notes[i] == 38))
      write_pair_png(std::string(png_dir) + "/drum_" + std::to_string(notes[i]) + ".png", hit, truth[i]);
  }
  const double n = double(notes.size());
  std::printf("share error: worst %.2f dB, mean %.2f dB; LSD 0-24 kHz %.2f dB (without the band %.2f), 0-8 kHz %.2f dB\n", worst,
              sum_err / n, lsd / n, lsd_without / n, lsd16 / n);
  EXPECT_LT(lsd, lsd_without);
}
