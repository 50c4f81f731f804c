// Loudness (EBU R128 through libebur128) and normalisation under a true-peak ceiling, against the
// analytic values of EBU Tech 3341 / 3342 style signals synthesised here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "audio/true_peak_limiter.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/loudness.h"
#include "timbrel/sound_file.h"

using namespace timbrel;

namespace {

double db_to_amp(double db) { return std::pow(10.0, db / 20.0); }
double amp_to_db(double a) { return 20.0 * std::log10(a); }

// Appends `seconds` of a sine (amplitude in dBFS of its peak) to every channel of `a`.
void append_sine(Audio& a, double freq, double dbfs, double seconds, double phase = 0) {
  const size_t start = a.frames(), n = size_t(std::lround(seconds * a.sample_rate));
  for (size_t i = 0; i < n; ++i) {
    const double t = double(start + i) / a.sample_rate;
    const float v = float(db_to_amp(dbfs) * std::sin(2 * M_PI * freq * t + phase));
    for (int c = 0; c < a.channels; ++c) a.samples.push_back(v);
  }
}

Audio empty(int rate, int channels) {
  Audio a;
  a.sample_rate = rate;
  a.channels = channels;
  return a;
}

Audio sine(double freq, double dbfs, double seconds, int rate = 48000, int channels = 2, double phase = 0) {
  Audio a = empty(rate, channels);
  append_sine(a, freq, dbfs, seconds, phase);
  return a;
}

// A drum-like stereo loop: noise bursts with sharp attacks and fast decays over a decaying low
// "kick" sine, a hit every half second; peak near 0 dBFS, loudness near -20 LUFS.
Audio drum_loop(double seconds) {
  Audio a = empty(48000, 2);
  uint32_t state = 12345;
  auto noise = [&state] {
    state = state * 1664525u + 1013904223u;
    return double(state >> 8) / double(1u << 24) * 2.0 - 1.0;
  };
  const size_t n = size_t(seconds * 48000), hit = 24000;
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i % hit) / 48000, env = std::exp(-t / 0.01), kick = std::exp(-t / 0.05);
    const double k = 0.5 * kick * std::sin(2 * M_PI * 55 * t * (1 + 2 * std::exp(-t / 0.01)));
    a.samples.push_back(float(0.45 * env * noise() + k));
    a.samples.push_back(float(0.45 * env * noise() + k));
  }
  return a;
}

double max_abs(const Audio& a) {
  double m = 0;
  for (float s : a.samples) m = std::max(m, double(std::fabs(s)));
  return m;
}

void expect_error(const std::function<void()>& f, const std::string& subject) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one naming " << subject;
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), subject) << e.what();
  }
}

// EBU Tech 3341 cases 1 and 2: a stereo 1 kHz sine at -23 / -33 dBFS reads -23 / -33 LUFS.
TEST(Loudness, StereoSineReadsItsLevelTech3341) {
  for (int rate : {48000, 44100}) {
    for (double level : {-23.0, -33.0}) {
      LoudnessInfo m = measure_loudness(sine(1000, level, 20, rate));
      EXPECT_NEAR(m.integrated_lufs, level, 0.1) << rate << " Hz";
      EXPECT_NEAR(m.sample_peak_dbfs, level, 0.01);
      EXPECT_NEAR(m.true_peak_dbtp, level, 0.05);
    }
  }
}

// Tech 3341 cases 3 and 4: the gates. Quiet stretches (-36 and -72 dBFS) around 60 s at -23 dBFS
// fall under the relative (-10 LU) or absolute (-70 LUFS) gate: the result is still -23.
TEST(Loudness, GatingIgnoresQuietPartsTech3341) {
  Audio a = empty(48000, 2);
  for (auto [level, seconds] : {std::pair{-72.0, 10.0}, {-36.0, 10.0}, {-23.0, 60.0}, {-36.0, 10.0}, {-72.0, 10.0}})
    append_sine(a, 1000, level, seconds);
  EXPECT_NEAR(measure_loudness(a).integrated_lufs, -23.0, 0.1);
}

// BS.1770 sums channels with weight 1.0 each: a mono file is one channel (not dual mono), so the
// same sine in one channel reads 10 log10(2) = 3.01 LU under the stereo file with both channels.
TEST(Loudness, MonoIsOneChannelNotDualMono) {
  LoudnessInfo mono = measure_loudness(sine(1000, -23, 20, 48000, 1));
  LoudnessInfo stereo = measure_loudness(sine(1000, -23, 20, 48000, 2));
  EXPECT_NEAR(mono.integrated_lufs, -26.01, 0.1);
  EXPECT_NEAR(stereo.integrated_lufs - mono.integrated_lufs, 10 * std::log10(2.0), 0.01);
}

// EBU Tech 3342 cases 1 and 2: 20 s at -20 dBFS then 20 s at -30 (-15) dBFS: LRA 10 (5) LU, +-1.
TEST(Loudness, LoudnessRangeTech3342) {
  for (auto [second, lra] : {std::pair{-30.0, 10.0}, {-15.0, 5.0}}) {
    Audio a = sine(1000, -20, 20);
    append_sine(a, 1000, second, 20);
    EXPECT_NEAR(measure_loudness(a).loudness_range_lu, lra, 1.0);
  }
}

// A sine at fs/4 with a 45 degree phase: every sample sits at 0.7071 of the crest, so the sample
// peak is 3.01 dB under the true peak (Tech 3341's true-peak cases; tolerance +0.2/-0.4 dB).
TEST(Loudness, TruePeakSeesInterSamplePeaks) {
  Audio a = sine(12000, -6.0, 2, 48000, 2, M_PI / 4);
  LoudnessInfo m = measure_loudness(a);
  EXPECT_NEAR(m.sample_peak_dbfs, -6.0 - 3.01, 0.02);
  EXPECT_GE(m.true_peak_dbtp, -6.0 - 0.4);
  EXPECT_LE(m.true_peak_dbtp, -6.0 + 0.2);
  // The limiter's own detector finds the same crest.
  std::vector<float> peaks = oversampled_peaks(a);
  float top = 0;
  for (size_t i = 100; i + 100 < peaks.size(); ++i) top = std::max(top, peaks[i]);
  EXPECT_NEAR(amp_to_db(top), -6.0, 0.05);
}

// libebur128's true peak over the whole audio in one pass (what measure_loudness measures by blocks).
double one_pass_true_peak(const Audio& a) {
  ebur128_state* st = ebur128_init(unsigned(a.channels), (unsigned long)a.sample_rate, EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float(st, a.samples.data(), a.frames());
  double peak = 0;
  for (int c = 0; c < a.channels; ++c) {
    double tp = 0;
    ebur128_true_peak(st, unsigned(c), &tp);
    peak = std::max(peak, tp);
  }
  ebur128_destroy(&st);
  return peak;
}

// Quiet noise with single-sample spikes of alternating sign (the largest inter-sample overs) at
// `spikes` frames, the highest at the last.
Audio spiky(int rate, int channels, size_t frames, const std::vector<size_t>& spikes) {
  Audio a = empty(rate, channels);
  uint32_t state = 777;
  for (size_t i = 0; i < frames * size_t(channels); ++i) {
    state = state * 1664525u + 1013904223u;
    a.samples.push_back(0.01f * (float(state >> 8) / float(1u << 24) - 0.5f));
  }
  for (size_t k = 0; k < spikes.size(); ++k)
    for (size_t f = spikes[k]; f < std::min(frames, spikes[k] + 4); ++f)
      a.samples[f * size_t(channels) + (k % size_t(channels))] = (f % 2 ? -1.0f : 1.0f) * (0.3f + 0.1f * float(k));
  return a;
}

// A block whose samples are quieter than a spike elsewhere but whose true peak is louder: 12
// samples of +-0.3 signed as the interpolator's phase-2 weights (libebur128's 49-tap Hann-windowed
// sinc at 4x), so that phase adds them all: 0.3 x 1.86, above the spike's 0.5. Measuring the
// loudest samples first must not stop at the spike.
Audio quiet_samples_loud_peak() {
  Audio a = empty(48000, 1);
  a.samples.assign(8000, 0.0f);
  a.samples[1000] = 0.5f;
  for (int k = 0; k < 12; ++k) a.samples[size_t(5000 - k)] = (std::sin(M_PI * (k - 5.5)) / (k - 5.5) > 0 ? 0.3f : -0.3f);
  return a;
}

// The true peak is measured only around the loudest blocks; it must equal one pass over all of it,
// bit for bit, wherever the peak falls: the first frames (the interpolator's history is zeros),
// a block's edge (its history comes from the block before), the last frames, between channels.
TEST(Loudness, TruePeakEqualsOnePassWhereverThePeakIs) {
  std::vector<Audio> cases = {drum_loop(6), sine(12000, -6.0, 2, 48000, 2, M_PI / 4), sine(19000, -3.0, 1, 44100, 1, 1.0),
                              spiky(48000, 5, 20000, {500, 1023, 1536, 4000, 4096}), spiky(88200, 2, 88200, {100, 80000}),
                              spiky(96000, 2, 96000, {100, 90000}), quiet_samples_loud_peak()};
  for (size_t at : {0, 1, 5, 12, 13, 14, 500, 511, 512, 513, 525, 1023, 4000, 4795, 4799})
    for (int channels : {1, 2}) cases.push_back(spiky(channels == 1 ? 44100 : 48000, channels, 4800, {at}));
  EXPECT_GT(one_pass_true_peak(quiet_samples_loud_peak()), 0.55) << "the case is meant to peak between samples";
  for (size_t k = 0; k < cases.size(); ++k) {
    const double expected = one_pass_true_peak(cases[k]);
    EXPECT_EQ(measure_loudness(cases[k]).true_peak_dbtp, 20.0 * std::log10(expected)) << "case " << k;
  }
}

TEST(Loudness, LimiterGainStaysUnderEveryPeakAndMovesSmoothly) {
  std::vector<float> peaks(20000, 0.2f);
  for (size_t i : {3000, 3001, 15000}) peaks[i] = 2.0f;
  const LimiterShape shape = limiter_shape(48000);
  const std::vector<float> gain = limiter_gain(peaks, 0.5, shape);
  float max_step = 0;
  for (size_t i = 0; i < gain.size(); ++i) {
    EXPECT_LE(gain[i] * peaks[i], 0.5f * (1 + 1e-6f)) << i;
    if (i > 0) max_step = std::max(max_step, std::fabs(gain[i] - gain[i - 1]));
  }
  EXPECT_NEAR(gain[3000], 0.25f, 1e-6);
  EXPECT_FLOAT_EQ(gain[0], 1.0f);   // before the attack window: untouched
  EXPECT_LT(gain[6000], 0.9f);      // a 60 ms release: still down 60 ms after the peak ...
  EXPECT_GT(gain[14000], 0.98f);    // ... and back 230 ms after it
  EXPECT_LE(max_step, 0.75f / shape.attack_frames + 1e-6f);  // a ramp, not a jump
}

// A dense, peaky loop pushed to -16 LUFS needs ~8 dB more than its peaks allow: the limiter.
TEST(Loudness, NormalizesLoudDenseAudioUnderTheCeiling) {
  const Audio loop = drum_loop(16);
  const LoudnessInfo before = measure_loudness(loop);
  ASSERT_GT(before.true_peak_dbtp + (-16 - before.integrated_lufs), 3.0) << "the case must need limiting";
  Audio a = loop;
  LoudnessInfo after = normalize_loudness(a, LoudnessTarget{});
  EXPECT_NEAR(after.integrated_lufs, -16.0, 0.5);
  EXPECT_LE(after.true_peak_dbtp, -1.0);
  EXPECT_LE(max_abs(a), db_to_amp(-1.0));
  LoudnessInfo again = measure_loudness(a);
  EXPECT_EQ(again.integrated_lufs, after.integrated_lufs);
  // One gain per frame on both channels: the stereo image stays.
  for (size_t f = 0; f < a.frames(); f += 7) {
    const float l = loop.samples[2 * f], r = loop.samples[2 * f + 1];
    if (std::fabs(l) < 1e-2f || std::fabs(r) < 1e-2f) continue;
    EXPECT_NEAR(a.samples[2 * f] / l, a.samples[2 * f + 1] / r, 1e-4) << f;
  }
  Audio b = loop;
  normalize_loudness(b, LoudnessTarget{});
  EXPECT_EQ(a.samples, b.samples) << "bit-identical run to run";
}

TEST(Loudness, QuietSineIsOnlyScaled) {
  const Audio quiet = sine(1000, -40, 10);
  Audio a = quiet;
  LoudnessInfo after = normalize_loudness(a, LoudnessTarget{-16.0, -1.0});
  EXPECT_NEAR(after.integrated_lufs, -16.0, 0.05);
  EXPECT_LE(after.true_peak_dbtp, -1.0);
  const double k = a.samples[1000] / quiet.samples[1000];
  EXPECT_NEAR(amp_to_db(k), 24.0, 0.1);  // a stereo 1 kHz sine's loudness is its peak level
  for (size_t i = 0; i < a.samples.size(); i += 13)
    EXPECT_NEAR(a.samples[i], quiet.samples[i] * k, 1e-6) << i;
}

TEST(Loudness, ErrorsNameWhatIsWrong) {
  Audio silent = empty(48000, 2);
  silent.samples.assign(2 * 48000 * 5, 0.0f);
  expect_error([&] { normalize_loudness(silent, LoudnessTarget{}); }, "audio");
  Audio brief = sine(1000, -20, 0.2);
  expect_error([&] { normalize_loudness(brief, LoudnessTarget{}); }, "audio");
  Audio a = sine(1000, -20, 5);
  expect_error([&] { normalize_loudness(a, LoudnessTarget{-80.0, -1.0}); }, "target.lufs");
  expect_error([&] { normalize_loudness(a, LoudnessTarget{-16.0, 0.5}); }, "target.true_peak_dbtp");
  const Audio before = a;
  expect_error([&] { normalize_loudness(a, LoudnessTarget{0.0, -20.0}); }, "target");
  EXPECT_EQ(a.samples, before.samples) << "audio untouched on error";
  Audio bad = sine(1000, -20, 1);
  bad.samples[10] = NAN;
  expect_error([&] { measure_loudness(bad); }, "audio");
  bad.channels = 0;
  expect_error([&] { measure_loudness(bad); }, "audio");
  EXPECT_TRUE(std::isinf(measure_loudness(silent).integrated_lufs));
  EXPECT_TRUE(std::isinf(measure_loudness(silent).sample_peak_dbfs));
}

#ifdef TIMBREL_BINARY
TEST(Loudness, InspectReportsLoudnessAndTruePeak) {
  const std::string wav = test::temp_dir() + "/sine.wav";
  write_sound_file(wav, sine(1000, -23, 10), SampleFormat::Float32);
  std::string out;
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " inspect " + wav, &out), 0);
  EXPECT_THAT(out, ::testing::HasSubstr("loudness -23.0 LUFS, true peak -23.0 dBTP"));
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " inspect --json " + wav, &out), 0);
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["integrated_lufs"].get<double>(), -23.0, 0.1);
  EXPECT_NEAR(j["true_peak_dbtp"].get<double>(), -23.0, 0.05);
  EXPECT_NEAR(j["sample_peak_dbfs"].get<double>(), -23.0, 0.01);
  EXPECT_TRUE(j["loudness_range_lu"].is_number());
}
#endif

}  // namespace
