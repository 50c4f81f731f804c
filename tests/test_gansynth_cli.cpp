// timbrel note / morph / convert (GANSynth) end to end, on tiny random-weight models made here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <fstream>

#include "test_util.h"
#include "timbrel/gansynth.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "util/npy.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const std::string kBin = TIMBREL_BINARY;

std::string tiny_model() {
  static std::string dir = [] {
    std::string d = test::temp_dir() + "/gansynth";
    GansynthConfig c;
    c.latent_size = 8;
    c.channels = {16, 16, 16, 16, 8, 8, 8};
    Gansynth::random(c, 21).save(d);
    return d;
  }();
  return dir;
}

int run(const std::string& args, std::string* out) { return test::run_command(kBin + " " + args, out, true); }

// The CLI picks its own BLAS kernels (src/models/openblas_kernels.h), so its float rounding may differ
// from this process's by an ulp here and there: compare within 1e-5 (outputs are ~0.1-1).
void expect_close(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  EXPECT_LT(m, 1e-5);
}

}  // namespace

TEST(GansynthCli, NoteWritesFourSecondsAndTheSpectrogram) {
  std::string dir = test::temp_dir(), out;
  ASSERT_EQ(run("note --model " + tiny_model() + " --pitch 60 --timbre seed:3 -o " + dir + "/n.wav --bit-depth float --spectrogram-out " +
                    dir + "/s.npy",
                &out),
            0)
      << out;
  Audio a = read_sound_file(dir + "/n.wav");
  EXPECT_EQ(a.sample_rate, 16000);
  EXPECT_EQ(a.frames(), 64000u);
  NpyArray s = read_npy(dir + "/s.npy");
  EXPECT_EQ(s.shape, (std::vector<int64_t>{128, 1024, 2}));
  // The spectrogram is the library's generator output for the same timbre and pitch.
  Gansynth g = Gansynth::load(tiny_model());
  expect_close(s.data, g.generate(g.timbre("seed:3"), {60}));
  // ... and the audio is the spectral core's rendering of it (PGHI phase: generated notes' default).
  std::vector<float> ref = spectrogram_to_audio(s.data, generated_note_inverse());
  double diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) diff = std::max(diff, double(std::fabs(ref[i] - a.samples[i])));
  EXPECT_LT(diff, 1e-6);

  // Velocity 64: the same note times 64/127.
  ASSERT_EQ(run("note --model " + tiny_model() + " --pitch 60 --timbre seed:3 --velocity 64 --bit-depth float -o " + dir + "/v.wav", &out), 0) << out;
  Audio v = read_sound_file(dir + "/v.wav");
  for (size_t i = 0; i < v.samples.size(); i += 997) EXPECT_NEAR(v.samples[i], a.samples[i] * 64.0f / 127.0f, 1e-6);
}

TEST(GansynthCli, NoteTimbreSources) {
  std::string dir = test::temp_dir(), out;
  Gansynth g = Gansynth::load(tiny_model());
  write_npy(dir + "/z.npy", NpyArray{{8}, g.timbre("seed:5")});
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 50 --z-file " + dir + "/z.npy -o " + dir + "/a.wav --spectrogram-out " + dir + "/a.npy", &out), 0) << out;
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 50 --timbre seed:5 -o " + dir + "/b.wav --spectrogram-out " + dir + "/b.npy", &out), 0) << out;
  EXPECT_EQ(read_npy(dir + "/a.npy").data, read_npy(dir + "/b.npy").data);
  // --pad at a corner is that corner's timbre; in between, the bilinear mix.
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 50 --pad 1,0 --corners seed:1,seed:5,seed:2,seed:3 -o " + dir + "/c.wav --spectrogram-out " +
                    dir + "/c.npy",
                &out),
            0)
      << out;
  EXPECT_EQ(read_npy(dir + "/c.npy").data, read_npy(dir + "/b.npy").data);
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 50 --pad 0.3,0.6 --corners seed:1,seed:5,seed:2,seed:3 -o " + dir +
                    "/d.wav --spectrogram-out " + dir + "/d.npy",
                &out),
            0)
      << out;
  auto z = bilinear(g.timbre("seed:1"), g.timbre("seed:5"), g.timbre("seed:2"), g.timbre("seed:3"), 0.3, 0.6);
  expect_close(read_npy(dir + "/d.npy").data, g.generate(z, {50}));
}

TEST(GansynthCli, ErrorsAreOneLineAndLeaveNoFile) {
  std::string dir = test::temp_dir(), out;
  EXPECT_EQ(run("note -m " + tiny_model() + " -p 85 -o " + dir + "/x.wav", &out), 1);
  EXPECT_THAT(out, HasSubstr("timbrel: --pitch: 85 is outside the generator's range 24..84"));
  EXPECT_FALSE(test::file_exists(dir + "/x.wav"));
  EXPECT_EQ(run("note -m " + tiny_model() + " -p 60 --timbre preset:flute -o " + dir + "/x.wav", &out), 1);
  EXPECT_THAT(out, HasSubstr("timbrel: preset:flute: no such timbre"));
  EXPECT_EQ(run("note -m " + tiny_model() + " -p 60 --pad 0.5,0.5 -o " + dir + "/x.wav", &out), 1);
  EXPECT_THAT(out, HasSubstr("--corners"));
  EXPECT_EQ(run("note -m " + dir + " -p 60 -o " + dir + "/x.wav", &out), 1);
  EXPECT_THAT(out, HasSubstr("not a GANSynth model"));
  EXPECT_FALSE(test::file_exists(dir + "/x.wav"));
  EXPECT_EQ(run("note --help", &out), 0);
  EXPECT_THAT(out, HasSubstr("Example"));
}

TEST(GansynthCli, MorphStepsAndContinuous) {
  std::string dir = test::temp_dir(), out;
  ASSERT_EQ(run("morph -m " + tiny_model() + " --from seed:1 --to seed:2 -p 60 --steps 10 --bit-depth float -o " + dir + "/m.wav", &out), 0) << out;
  Audio m = read_sound_file(dir + "/m.wav");
  ASSERT_EQ(m.frames(), 10u * 64000);  // two forward passes (8 + 2)
  // The endpoints are the two timbres' notes.
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 60 --timbre seed:1 --bit-depth float -o " + dir + "/a.wav", &out), 0) << out;
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 60 --timbre seed:2 --bit-depth float -o " + dir + "/b.wav", &out), 0) << out;
  Audio a = read_sound_file(dir + "/a.wav"), b = read_sound_file(dir + "/b.wav");
  // Equal up to float rounding, which differs with the batch size (a batch of 8 against 1) on some
  // CPUs' GEMM kernels and grows through phase reconstruction: >= 40 dB (another timbre's note: < 0 dB).
  double ea = 0, eb = 0, pa = 0, pb = 0;
  for (size_t i = 0; i < 64000; ++i) {
    ea += std::pow(double(m.samples[i]) - a.samples[i], 2), pa += std::pow(double(a.samples[i]), 2);
    eb += std::pow(double(m.samples[9 * 64000 + i]) - b.samples[i], 2), pb += std::pow(double(b.samples[i]), 2);
  }
  std::printf("morph endpoints against single notes: %.1f dB, %.1f dB\n", 10 * std::log10(pa / ea), 10 * std::log10(pb / eb));
  EXPECT_GT(10 * std::log10(pa / std::max(ea, 1e-30)), 40.0);
  EXPECT_GT(10 * std::log10(pb / std::max(eb, 1e-30)), 40.0);
  // --continuous: one 4 s note starting as A and ending as B.
  ASSERT_EQ(run("morph -m " + tiny_model() + " --from seed:1 --to seed:2 -p 60 --steps 3 --continuous --bit-depth float -o " + dir + "/c.wav", &out), 0) << out;
  Audio c = read_sound_file(dir + "/c.wav");
  ASSERT_EQ(c.frames(), 64000u);
  EXPECT_NEAR(c.samples[0], a.samples[0], 1e-6);
  EXPECT_NEAR(c.samples[63999], b.samples[63999], 1e-6);
  EXPECT_EQ(run("morph -m " + tiny_model() + " --from seed:1 --to seed:2 -p 90 -o " + dir + "/e.wav", &out), 1);
  EXPECT_THAT(out, HasSubstr("24..84"));
}

TEST(GansynthCli, ConvertTfjsToModelFolder) {
  std::string dir = test::temp_dir(), out;
  // A model folder converts to an equal model folder; "auto" recognises it as GANSynth.
  ASSERT_EQ(run("convert " + tiny_model() + " -o " + dir + "/m2", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("gansynth"));
  Gansynth g = Gansynth::load(tiny_model()), h = Gansynth::load(dir + "/m2");
  EXPECT_EQ(g.generate(g.timbre("seed:1"), {30}), h.generate(h.timbre("seed:1"), {30}));  // same process
}

TEST(GansynthCli, NoteCompatAndPhaseOptionsReachTheSpectralCore) {
  std::string dir = test::temp_dir(), out;
  ASSERT_EQ(run("note -m " + tiny_model() + " -p 70 --compat magentajs --phase if+fgla --iterations 4 --bit-depth float -o " + dir +
                    "/n.wav --spectrogram-out " + dir + "/n.npy",
                &out),
            0)
      << out;
  InverseOptions inv;
  inv.compat = SpectralCompat::MagentaJs;
  inv.phase = PhaseMethod::IfFgla;
  inv.iterations = 4;
  std::vector<float> ref = spectrogram_to_audio(read_npy(dir + "/n.npy").data, inv);
  Audio a = read_sound_file(dir + "/n.wav");
  expect_close(a.samples, ref);
  // ... and not what the default options give.
  std::vector<float> plain = spectrogram_to_audio(read_npy(dir + "/n.npy").data, InverseOptions{});
  EXPECT_LT(snr_db(plain, ref), 40.0);
}

// A compatibility mode takes its peer's phase: --compat magentajs alone is --phase if (magenta.js's),
// and an explicit --phase still wins (tests/test_gansynth.cpp checks it against magenta.js's audio).
TEST(GansynthCli, NoteCompatMagentaJsImpliesItsPhaseUnlessPhaseIsGiven) {
  const std::string dir = test::temp_dir();
  auto note = [&](const std::string& name, const std::string& flags, std::string* out) {
    EXPECT_EQ(run("note -m " + tiny_model() + " -p 70 --bit-depth float -o " + dir + "/" + name + ".wav " + flags, out), 0) << *out;
    return read_sound_file(dir + "/" + name + ".wav").samples;
  };
  std::string implied_out, out;
  const std::vector<float> implied = note("implied", "--compat magentajs", &implied_out);
  EXPECT_THAT(implied_out, HasSubstr("phase if (magenta.js mode)"));
  EXPECT_EQ(implied, note("if", "--compat magentajs --phase if", &out));
  EXPECT_LT(snr_db(note("pghi", "--compat magentajs --phase pghi", &out), implied), 40.0);
  EXPECT_THAT(out, HasSubstr("phase pghi (magenta.js mode)"));
}

// Output safety: an existing output is an error without --force (and is left as it was); kill -9
// while the finished file waits to be committed leaves nothing in the folder (the file is
// unnamed, O_TMPFILE, until the final rename).
TEST(GansynthCli, ExistingOutputsNeedForceAndKillLeavesNoPartialFile) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  std::string out;
  { std::ofstream(dir + "/taken.wav") << "precious"; }
  EXPECT_NE(test::run_command(bin + " note --pitch 60 --device cpu -o " + dir + "/taken.wav", &out, true), 0);
  EXPECT_THAT(out, ::testing::HasSubstr("taken.wav: exists already (--force overwrites it)"));
  EXPECT_EQ(test::read_text(dir + "/taken.wav"), "precious");
  ASSERT_EQ(test::run_command(bin + " note --pitch 60 --device cpu --force -o " + dir + "/taken.wav", &out, true), 0) << out;
  EXPECT_EQ(read_sound_file(dir + "/taken.wav").frames(), size_t(kNoteSamples));

  const std::string sub = dir + "/killed";
  ASSERT_EQ(test::run_command("mkdir " + sub, &out), 0);
  ASSERT_EQ(test::run_command("TIMBREL_FAULT_PAUSE_BEFORE_COMMIT=30 " + bin + " note --pitch 60 --device cpu -o " + sub +
                                  "/k.wav >/dev/null 2>&1 & echo $!",
                              &out),
            0);
  const std::string pid = out.substr(0, out.find('\n'));
  // Wait until the process holds the finished, unnamed file in that folder, then kill it.
  bool holding = false;
  for (int i = 0; i < 600 && !holding; ++i) {
    test::run_command("ls -l /proc/" + pid + "/fd 2>/dev/null", &out);
    holding = out.find(sub + "/#") != std::string::npos;  // how Linux shows an O_TMPFILE
    if (!holding) usleep(50000);
  }
  EXPECT_TRUE(holding) << "the note was not written within 30 s";
  test::run_command("kill -9 " + pid, &out);
  usleep(200000);
  test::run_command("ls -A " + sub, &out);
  EXPECT_EQ(out, "") << "left behind: " << out;
}
