// The generated table of FluidR3_GM's own reverb and chorus sends (src/render/gm_sends.h, written by
// tools/make-gm-sends.py from the SoundFont's generators) against libfluidsynth itself, which reads
// the same SoundFont independently of the script.
//
// The measurement calibrates itself: FluidSynth's effect return is linear in a voice's send, and
// CC91 (CC93) adds 0.2 * cc / 128 to the preset's own send. With W0 = the return at CC 0 (render
// with the effect on minus render with it off) and W127 = the return at CC 127, W127 - W0 is the
// return of a send of exactly 0.2 of the same voice, so the preset's own send is
// 0.2 * sqrt(E(W0) / E(W127 - W0)), whatever the sample's spectrum or stereo image.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fluid_note.h"
#include "render/gm_sends.h"

using namespace timbrel;

namespace {

constexpr int kRate = 48000;
constexpr double kSeconds = 3;  // the note (50 ms held) and the default room's tail (T30 ~1 s)
// FluidSynth's send at CC 127: amount 200 x 127 / 128 (fluid_mod.c maps a CC over a range of 128,
// as room.h's reverb_send_for_cc does; a /127 reading gives every preset's send 0.8% high).
constexpr double kCcSend = 0.2 * 127 / 128;

using test::kFluidR3;
using test::Stereo;
using Note = test::FluidNote;

// Only `effect` on; its controller (the other's is irrelevant with its unit off) at `cc`.
Stereo fluid_render(const Note& note, const std::string& effect, int cc) { return test::fluid_note(note, effect, cc, kSeconds, kRate); }

double energy_of_difference(const Stereo& a, const Stereo& b) {
  double e = 0;
  for (size_t i = 0; i < a.left.size(); ++i) {
    const double l = double(a.left[i]) - b.left[i], r = double(a.right[i]) - b.right[i];
    e += l * l + r * r;
  }
  return e;
}

double energy(const Stereo& s) { return energy_of_difference(s, Stereo{std::vector<float>(s.left.size()), std::vector<float>(s.right.size())}); }

struct Measured {
  double own_return = 0;  // E(W0): the return of the preset's own send
  double cc_return = 0;   // E(W127 - W0): the return of a send of 0.2
  double dry = 0;
  double send() const { return kCcSend * std::sqrt(own_return / cc_return); }
  double wet_dry_db() const { return 10 * std::log10(own_return / dry); }
};

Measured measure(const Note& note, const std::string& effect) {
  const Stereo dry = fluid_render(note, "", 0);
  const Stereo own = fluid_render(note, effect, 0);
  const Stereo full = fluid_render(note, effect, 127);
  return {energy_of_difference(own, dry), energy_of_difference(full, own), energy(dry)};
}

class GmSendsFluidSynth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kFluidR3)) GTEST_SKIP() << "no " << kFluidR3 << " (apt install fluid-soundfont-gm)";
  }
};

}  // namespace

TEST(GmSendsTable, RangesAndKnownValues) {
  static_assert(gm::program_sends(0).reverb > 0.0f, "usable in constant expressions");
  EXPECT_EQ(gm::program_sends(-1).reverb, 0.0f);
  EXPECT_EQ(gm::program_sends(128).chorus, 0.0f);
  EXPECT_EQ(gm::drum_sends(200).reverb, 0.0f);
  EXPECT_EQ(gm::drum_sends(0).reverb, 0.0f) << "no zone of the Standard kit covers key 0";
  for (int i = 0; i < 128; ++i) {
    for (float v : {gm::program_sends(i).reverb, gm::program_sends(i).chorus, gm::drum_sends(i).reverb, gm::drum_sends(i).chorus}) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LE(v, 1.0f);
    }
  }
  EXPECT_FLOAT_EQ(gm::program_sends(0).reverb, 0.1f);   // piano
  EXPECT_FLOAT_EQ(gm::program_sends(61).reverb, 0.3f);  // brass section
  EXPECT_FLOAT_EQ(gm::program_sends(81).chorus, 1.0f);  // saw lead
}

// The reverb send of melodic presets and drum keys, as FluidSynth plays them. The plain wet/dry
// ratios are printed beside the sends' prediction but not checked: they also follow each sample's
// stereo image and spectrum (brass and flute measured 3.3-3.5 dB above piano's ratio plus the
// sends' difference), which the self-calibrated send above removes.
TEST_F(GmSendsFluidSynth, ReverbSendsMatchFluidSynth) {
  const Note notes[] = {{0, 0, 60},  {0, 40, 60},  {0, 48, 60},  {0, 61, 60},  {0, 73, 60},  {0, 81, 60},
                        {0, 88, 60}, {128, 0, 36}, {128, 0, 38}, {128, 0, 42}, {128, 0, 49}};
  double piano_db = 0;
  for (const Note& note : notes) {
    const Measured m = measure(note, "reverb");
    const double table = note.bank == 128 ? gm::drum_sends(note.key).reverb : gm::program_sends(note.program).reverb;
    if (note.program == 0 && note.bank == 0) piano_db = m.wet_dry_db();
    const double predicted = 20 * std::log10(table / gm::program_sends(0).reverb);
    std::printf("bank %d program %d key %d: table %.3f, FluidSynth %.4f; wet/dry %.2f dB, vs piano %+.2f dB (sends predict %+.2f)\n",
                note.bank, note.program, note.key, table, m.send(), m.wet_dry_db(), m.wet_dry_db() - piano_db, predicted);
    EXPECT_NEAR(20 * std::log10(m.send() / table), 0.0, 0.05) << "bank " << note.bank << " program " << note.program << " key " << note.key;
  }
}

// A preset without a send of its own: the chorus returns exactly nothing at CC93 = 0; FluidSynth's
// reverb leaves a residue (its anti-denormal offset; measured 104 dB under the dry note, what a
// 0.0007% send would give), far below the 61 dB under that a 0.1% send gives.
TEST_F(GmSendsFluidSynth, ZeroSendIsExactlyDry) {
  const Note bandoneon{0, 23, 60};
  ASSERT_EQ(gm::program_sends(23).reverb, 0.0f);
  ASSERT_EQ(gm::program_sends(23).chorus, 0.0f);
  const Stereo dry = fluid_render(bandoneon, "", 0);
  ASSERT_GT(energy(dry), 0.0);
  const double residue_db = 10 * std::log10(energy_of_difference(fluid_render(bandoneon, "reverb", 0), dry) / energy(dry) + 1e-300);
  std::printf("bandoneon (no send): reverb return %.1f dB under the dry note\n", -residue_db);
  EXPECT_LT(residue_db, -90);
  EXPECT_EQ(energy_of_difference(fluid_render(bandoneon, "chorus", 0), dry), 0.0);
  const Stereo piano_dry = fluid_render({0, 0, 60}, "", 0);
  EXPECT_EQ(energy_of_difference(fluid_render({0, 0, 60}, "chorus", 0), piano_dry), 0.0) << "piano: no chorus send";
}

// Chorus sends, including one the CC cannot raise: FluidSynth clamps the sum at 100%.
TEST_F(GmSendsFluidSynth, ChorusSendsMatchFluidSynth) {
  for (int program : {4, 50, 62}) {
    const Measured m = measure({0, program, 60}, "chorus");
    const double table = gm::program_sends(program).chorus;
    std::printf("program %d chorus: table %.3f, FluidSynth %.4f; wet/dry %.2f dB\n", program, table, m.send(), m.wet_dry_db());
    EXPECT_NEAR(20 * std::log10(m.send() / table), 0.0, 0.05) << "program " << program;
  }
  ASSERT_EQ(gm::program_sends(81).chorus, 1.0f);
  const Measured saw = measure({0, 81, 60}, "chorus");
  std::printf("program 81 chorus: own return %.3g, CC93 127 adds %.3g\n", saw.own_return, saw.cc_return);
  EXPECT_GT(saw.own_return, 0.0);
  EXPECT_EQ(saw.cc_return, 0.0) << "a 100% send stays at 100%";
}
