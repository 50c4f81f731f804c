// Sound-file writing/reading (libsndfile), atomic writes, and resampling (libsoxr) checked against
// analytic signals.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "audio/resample.h"
#include "train/audio_metrics.h"

using namespace timbrel;
namespace fs = std::filesystem;

namespace {

Audio sine(double freq, int rate, double seconds, int channels = 1, double amp = 0.5) {
  Audio a;
  a.sample_rate = rate;
  a.channels = channels;
  size_t n = size_t(seconds * rate);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c)
      a.samples.push_back(float(amp * std::sin(2 * M_PI * freq * double(i) / rate + c)));
  return a;
}

double max_abs_diff(const Audio& a, const Audio& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.samples.size(), b.samples.size()); ++i)
    d = std::max(d, double(std::fabs(a.samples[i] - b.samples[i])));
  return d;
}

struct FormatCase {
  const char* ext;
  SampleFormat format;
  double tolerance;  // quantisation step of the format
};

class SoundFileFormat : public ::testing::TestWithParam<FormatCase> {};

TEST_P(SoundFileFormat, WritesAndReadsBack) {
  const FormatCase& c = GetParam();
  Audio a = sine(440.0, 16000, 0.5, 2);
  std::string path = test::temp_dir() + "/out." + c.ext;
  write_sound_file(path, a, c.format);
  SoundFileInfo info;
  Audio b = read_sound_file(path, &info);
  EXPECT_EQ(b.sample_rate, 16000);
  EXPECT_EQ(b.channels, 2);
  ASSERT_EQ(b.frames(), a.frames());
  EXPECT_LE(max_abs_diff(a, b), c.tolerance);
  EXPECT_EQ(info.container, std::string(c.ext) == "wav" ? "WAV" : "FLAC");
}

INSTANTIATE_TEST_SUITE_P(Formats, SoundFileFormat,
                         ::testing::Values(FormatCase{"wav", SampleFormat::Pcm16, 1.0 / 32768},
                                           FormatCase{"wav", SampleFormat::Pcm24, 1.0 / 8388608 * 1.01},
                                           FormatCase{"wav", SampleFormat::Float32, 0.0},
                                           FormatCase{"flac", SampleFormat::Pcm16, 1.0 / 32768},
                                           FormatCase{"flac", SampleFormat::Pcm24, 1.0 / 8388608 * 1.01}),
                         [](const auto& p) {
                           return std::string(p.param.ext) + (p.param.format == SampleFormat::Pcm16 ? "16" : p.param.format == SampleFormat::Pcm24 ? "24" : "float");
                         });

TEST(SoundFile, IntegerFormatsClipInsteadOfWrapping) {
  Audio a;
  a.samples = {1.5f, -2.0f, 0.25f};
  std::string path = test::temp_dir() + "/clip.wav";
  write_sound_file(path, a, SampleFormat::Pcm16);
  Audio b = read_sound_file(path);
  EXPECT_GT(b.samples[0], 0.999f);
  EXPECT_LT(b.samples[1], -0.999f);
  EXPECT_NEAR(b.samples[2], 0.25f, 1e-4);
}

TEST(SoundFile, ErrorsLeaveNothingBehindAndKeepTheOldFile) {
  std::string dir = test::temp_dir();
  std::string path = dir + "/keep.wav";
  { std::ofstream(path) << "old contents"; }
  Audio bad;
  bad.samples = {0.0f, NAN};
  EXPECT_THROW(write_sound_file(path, bad), Error);
  EXPECT_THROW(write_sound_file(dir + "/x.mp3", sine(100, 16000, 0.1)), Error);
  EXPECT_THROW(write_sound_file(dir + "/x.flac", sine(100, 16000, 0.1), SampleFormat::Float32), Error);
  EXPECT_EQ(test::read_text(path), "old contents");
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(dir)) (void)e, ++entries;
  EXPECT_EQ(entries, 1u);  // no temp files left
  // A successful write replaces it whole, atomically.
  write_sound_file(path, sine(100, 16000, 0.1));
  EXPECT_EQ(read_sound_file(path).frames(), 1600u);
}

TEST(SoundFile, MissingFolderAndUnreadableInputNameTheFile) {
  try {
    write_sound_file("/nonexistent-dir/out.wav", sine(100, 16000, 0.1));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "/nonexistent-dir/out.wav");
  }
  std::string junk = test::temp_dir() + "/junk.wav";
  { std::ofstream(junk) << "RIFF but not really"; }
  try {
    read_sound_file(junk);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), junk);
  }
}

TEST(SoundFile, ParsesBitDepth) {
  EXPECT_EQ(parse_sample_format("16"), SampleFormat::Pcm16);
  EXPECT_EQ(parse_sample_format("24"), SampleFormat::Pcm24);
  EXPECT_EQ(parse_sample_format("float"), SampleFormat::Float32);
  EXPECT_THROW(parse_sample_format("12"), Error);
}

// Resampling a 1 kHz sine from 16 kHz must give the analytic 1 kHz sine at the new rate
// (away from the edges, where the filter starts up): error below -60 dB of the amplitude.
class Resample : public ::testing::TestWithParam<int> {};

TEST_P(Resample, MatchesAnalyticSine) {
  const int rate = GetParam();
  Audio in = sine(1000.0, 16000, 1.0, 1, 0.5);
  Audio out = resample(in, rate);
  EXPECT_EQ(out.sample_rate, rate);
  EXPECT_NEAR(double(out.frames()), double(rate), 1.0);
  Audio want = sine(1000.0, rate, 1.0, 1, 0.5);
  double err = 0;
  size_t edge = size_t(rate / 20);
  for (size_t i = edge; i + edge < out.frames(); ++i)
    err = std::max(err, double(std::fabs(out.samples[i] - want.samples[i])));
  EXPECT_LT(err, 0.5e-3) << "max error " << err;
}

INSTANTIATE_TEST_SUITE_P(Rates, Resample, ::testing::Values(8000, 22050, 44100, 48000));

TEST(ResampleLimits, SameRateIsACopyAndBadRatesAreErrors) {
  Audio in = sine(100.0, 16000, 0.1);
  EXPECT_EQ(resample(in, 16000).samples, in.samples);
  EXPECT_THROW(resample(in, 0), Error);
  EXPECT_THROW(resample(in, 48000, 1.0), Error);
}

// A 16 kHz note upsampled for the mix keeps its top octave up to 7.84 kHz (kNotePassband), where
// soxr's HQ default rolls off from 7.3 kHz: white noise's 7.4-7.8 kHz band against its 2-6 kHz
// band, per hertz.
TEST(ResampleLimits, NotePassbandKeepsTheTopOfA16kNote) {
  Audio noise;
  noise.sample_rate = 16000;
  uint32_t state = 1;
  for (int i = 0; i < 32000; ++i) noise.samples.push_back(float((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  auto top_db = [](const Audio& a) {
    const auto e = timbrel::train::band_energies(a.samples.data(), a.samples.size(), a.sample_rate, {2000, 6000, 7400, 7800});
    return 10 * std::log10((e[2] / 400) / (e[0] / 4000));
  };
  const double wide = top_db(resample(noise, 48000, kNotePassband)), standard = top_db(resample(noise, 48000));
  EXPECT_NEAR(wide, 0, 0.5);
  EXPECT_LT(standard, -2);  // -2.8 dB
}

}  // namespace
