// resynth, spectrogram and bench end to end through the binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spectral_test_data.h"
#include "test_util.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

using namespace timbrel;
using namespace timbrel::test;
using ::testing::HasSubstr;
using nlohmann::json;

namespace {

const std::string kBin = TIMBREL_BINARY;

TEST(ResynthCli, LinearIfPathKeepsARealNoteAt44k) {
  // The note at 44.1 kHz stereo: resampled to 16 kHz mono inside, compared there.
  Audio note = read_sound_file(spectral_data("notes/violin_e4.wav"));
  Audio stereo = resample(note, 44100);
  stereo.channels = 2;
  std::vector<float> both;
  for (float s : stereo.samples) both.insert(both.end(), {s, s});
  stereo.samples = both;
  std::string dir = temp_dir(), in = dir + "/in.wav", out = dir + "/out.flac";
  write_sound_file(in, stereo, SampleFormat::Float32);
  std::string text;
  ASSERT_EQ(run_command(kBin + " resynth " + in + " -o " + out + " --linear --json", &text), 0) << text;
  json j = json::parse(text);
  EXPECT_GE(j["snr_db"].get<double>(), 40.0);  // the round trip through 44.1 kHz costs some of the 62 dB
  EXPECT_LE(j["spectral_convergence"].get<double>(), 0.01);
  Audio back = read_sound_file(out);
  EXPECT_EQ(back.sample_rate, 16000);
  EXPECT_NEAR(double(back.frames()), 64000.0, 2.0);
}

TEST(ResynthCli, PhaseMethodsAndErrors) {
  std::string dir = temp_dir(), out = dir + "/o.wav", in = spectral_data("notes/flute_c5.wav"), text;
  ASSERT_EQ(run_command(kBin + " resynth " + in + " --force -o " + out + " --phase if+fgla --iterations 8 --json", &text), 0);
  double polished = json::parse(text)["spectral_convergence"].get<double>();
  ASSERT_EQ(run_command(kBin + " resynth " + in + " --force -o " + out + " --json", &text), 0);
  double plain = json::parse(text)["spectral_convergence"].get<double>();
  EXPECT_LT(polished, plain);
  ASSERT_EQ(run_command(kBin + " resynth " + in + " --force -o " + out + " --compat magentajs", &text), 0);
  EXPECT_THAT(text, HasSubstr("magenta.js mode"));
  EXPECT_EQ(run_command(kBin + " resynth " + in + " --force -o " + out + " --phase magic", &text, true), 1);
  EXPECT_THAT(text, HasSubstr("timbrel: --phase: 'magic' is not one of"));
  EXPECT_EQ(run_command(kBin + " resynth " + out + " -o " + out, &text, true), 1);
  EXPECT_THAT(text, HasSubstr("is the input file"));
  EXPECT_EQ(run_command(kBin + " resynth /nonexistent.wav -o " + dir + "/fresh.wav", &text, true), 1);
  EXPECT_THAT(text, HasSubstr("timbrel: /nonexistent.wav: cannot read as a sound file"));
}

TEST(SpectrogramCli, NpyEqualsLibraryAndPngIsValid) {
  std::string dir = temp_dir(), in = spectral_data("notes/guitar_e3.wav"), text;
  ASSERT_EQ(run_command(kBin + " spectrogram " + in + " -o " + dir + "/s.npy", &text), 0) << text;
  NpyArray a = read_npy(dir + "/s.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{128, 1024, 2}));
  EXPECT_EQ(a.data, audio_to_spectrogram(load_note("guitar_e3"), SpectralScale::Mel));
  ASSERT_EQ(run_command(kBin + " spectrogram " + in + " -o " + dir + "/s.png --linear", &text), 0) << text;
  // Decoded by Python's zlib, independently of our writer: size and pixel count must agree.
  if (run_command("command -v /usr/bin/python3 >/dev/null", nullptr) != 0) GTEST_SKIP() << "no python3 to decode the PNG";
  std::string check =
      "/usr/bin/python3 -c \"import struct,zlib,sys; d=open(sys.argv[1],'rb').read(); assert d[:8]==b'\\x89PNG\\r\\n\\x1a\\n'; "
      "w,h=struct.unpack('>II',d[16:24]); i=8; z=b''\n"
      "while i<len(d):\n n=struct.unpack('>I',d[i:i+4])[0]; t=d[i+4:i+8]; c=d[i+8:i+8+n]; "
      "assert zlib.crc32(t+c)==struct.unpack('>I',d[i+8+n:i+12+n])[0]; z+=c if t==b'IDAT' else b''; i+=12+n\n"
      "raw=zlib.decompress(z); assert len(raw)==h*(3*w+1); print(w,h)\" " + dir + "/s.png";
  ASSERT_EQ(run_command(check, &text, true), 0) << text;
  EXPECT_THAT(text, HasSubstr(" 1044"));  // 1024 bins + margins tall
  EXPECT_EQ(run_command(kBin + " spectrogram " + in + " -o " + dir + "/s.jpg", &text, true), 1);
  EXPECT_THAT(text, HasSubstr("must end in .png or .npy"));
}

TEST(BenchCli, JsonHasPerStageFigures) {
  std::string text;
  ASSERT_EQ(run_command(kBin + " bench --json --seconds 0.02 --batch 2", &text), 0) << text;
  json j = json::parse(text);
  for (const char* key : {"spectral_to_audio_ms_per_note", "spectral_to_audio_notes_per_s", "audio_to_spectrogram_ms_per_note",
                          "griffin_lim_8_ms_per_note", "pghi_ms_per_note"})
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  EXPECT_EQ(j["batch"], 2);
  EXPECT_EQ(run_command(kBin + " bench --device cuda", &text, true), 1);
}

}  // namespace
