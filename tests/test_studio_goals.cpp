// Issue 34's controller goals, measured: each file of tests/data/studio/ (written by
// tools/make-studio-midi.py) rendered by the Engine (bundled models, CPU, default options: 48 kHz
// stereo with the room) and by FluidSynth 2.3 through FluidR3_GM at 48 kHz stereo. The controller
// files set CC91 = 0, so FluidSynth renders them without its effects; our room stays on (a zero
// send must be dry). Every measure is printed, ours beside FluidSynth's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "test_util.h"
#include "timbrel/engine.h"
#include "timbrel/music.h"
#include "timbrel/sound_file.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"

using namespace timbrel;

namespace {

const std::string kSoundFont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
constexpr int kRate = 48000;

#define SKIP_WITHOUT_FLUIDR3() \
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install fluid-soundfont-gm)"

NoteSequence studio_file(const std::string& name) { return read_midi(std::string(TIMBREL_SOURCE_DIR) + "/tests/data/studio/" + name); }

Engine& engine() {
  static Engine e([] {
    const std::string models = std::string(TIMBREL_SOURCE_DIR) + "/models/";  // ctest runs each test alone, from build/tests
    EngineOptions o;
    o.device = Device::Cpu;
    o.timbre_model = models + "gm-timbres";
    o.drum_model = models + "gm-drums";
    o.ddsp_model = models + "ddsp-gm";
    return o;
  }());
  return e;
}

Audio ours(const NoteSequence& seq, TimbreEngine which = TimbreEngine::Gansynth) {
  NoteRenderOptions r;
  r.schedule.follow_programs = true;
  r.engine = which;
  return engine().render(seq, r);
}

Audio fluidsynth(const NoteSequence& seq, bool effects) {
  train::SoundFontSongOptions o;
  o.effects = effects;
  return Audio{kRate, 2, train::render_sequence_with_soundfont(seq, kSoundFont, o)};
}

// Level (dB) of channel `c` (-1: power summed over channels) over [from, to) s.
double level_db(const Audio& a, double from, double to, int c = -1) {
  const size_t first = size_t(from * a.sample_rate), last = std::min(a.frames(), size_t(to * a.sample_rate));
  double sum = 0;
  for (size_t i = first; i < last; ++i)
    for (int k = 0; k < a.channels; ++k)
      if (c < 0 || c == k) sum += double(a.samples[i * size_t(a.channels) + size_t(k)]) * a.samples[i * size_t(a.channels) + size_t(k)];
  return 10 * std::log10(std::max(sum / double(std::max<size_t>(1, last - first)), 1e-30));
}

std::vector<float> mono(const Audio& a) { return mix_to_mono(a).samples; }

TEST(StudioGoals, DefaultRenderIsStereoAndPansByGmLaw) {
  SKIP_WITHOUT_FLUIDR3();
  const NoteSequence seq = studio_file("pan.mid");
  const Audio a = ours(seq), f = fluidsynth(seq, true);
  ASSERT_EQ(a.sample_rate, 48000);
  ASSERT_EQ(a.channels, 2);
  const char* names[] = {"CC10=0", "CC10=64", "CC10=127"};
  double side[3][2] = {};
  for (int i = 0; i < 3; ++i) {
    const double from = 0.7 + 2.0 * i, to = 1.9 + 2.0 * i;
    const double l = level_db(a, from, to, 0), r = level_db(a, from, to, 1);
    side[i][0] = l - r;
    std::printf("[pan] %-8s timbrel L-R %+6.2f dB   fluidsynth L-R %+6.2f dB\n", names[i], l - r,
                level_db(f, from, to, 0) - level_db(f, from, to, 1));
  }
  EXPECT_GE(side[0][0], 10.0) << "hard left";
  EXPECT_LE(side[2][0], -10.0) << "hard right";
  EXPECT_LE(std::fabs(side[1][0]), 1.5) << "centre";
}

// The same sequence without its CC7 and CC11 changes.
NoteSequence without_volume(NoteSequence seq) {
  auto& c = seq.control_changes;
  c.erase(std::remove_if(c.begin(), c.end(), [](const ControlChange& x) { return x.number == 7 || x.number == 11; }), c.end());
  return seq;
}

// Level over time in 50 ms frames, in dB relative to the level before the ramp: ours beside
// FluidSynth's. `a0`, `f0`: the renders without the ramps; the controllers' own gain is the ramped
// level less the unramped one (each sample's natural envelope taken out). Returns the worst
// difference of {levels, controller gains}.
std::pair<double, double> worst_ramp_errors_db(const Audio& a, const Audio& f, const Audio& a0, const Audio& f0, double ref_from,
                                               double ramp_from, double to, const char* what) {
  auto rel = [&](const Audio& x, double t) { return level_db(x, t, t + 0.05) - level_db(x, ref_from, ramp_from); };
  double worst_level = 0, worst_gain = 0;
  for (double t = ramp_from; t + 0.05 <= to + 1e-9; t += 0.05) {
    const double da = rel(a, t), df = rel(f, t), ga = da - rel(a0, t), gf = df - rel(f0, t);
    if (std::fabs(da - df) > std::fabs(worst_level)) worst_level = da - df;
    if (std::fabs(ga - gf) > std::fabs(worst_gain)) worst_gain = ga - gf;
    if (std::fmod(t - ramp_from + 1e-9, 0.25) < 0.05)
      std::printf("[%s] t=%.2f s  level: timbrel %+7.2f dB  fluidsynth %+7.2f dB   controller gain: timbrel %+7.2f dB  fluidsynth %+7.2f dB\n",
                  what, t, da, df, ga, gf);
  }
  std::printf("[%s] worst difference: level %+.2f dB, controller gain %+.2f dB\n", what, worst_level, worst_gain);
  return {worst_level, worst_gain};
}

TEST(StudioGoals, VolumeAndExpressionRampsFollowFluidSynth) {
  SKIP_WITHOUT_FLUIDR3();
  const NoteSequence seq = studio_file("volume-expression.mid"), flat = without_volume(seq);
  const Audio a = ours(seq), f = fluidsynth(seq, false), a0 = ours(flat), f0 = fluidsynth(flat, false);
  // The ramps run 1.0-3.0 s (CC7) and 5.0-7.0 s (CC11); the notes are held to 3.5 and 7.5 s. The
  // levels themselves also carry each render's own sustain envelope (printed, not checked).
  EXPECT_LE(std::fabs(worst_ramp_errors_db(a, f, a0, f0, 0.7, 1.0, 3.4, "CC7").second), 1.0);
  EXPECT_LE(std::fabs(worst_ramp_errors_db(a, f, a0, f0, 4.7, 5.0, 7.4, "CC11").second), 1.0);
}

// First time from `from` on at which the 10 ms level (5 ms hop) reaches `threshold_db`
// (rising: at or above it; falling: at or below it); NaN if never before `to`.
double crossing(const Audio& a, double from, double to, double threshold_db, bool rising) {
  for (double t = from; t + 0.01 <= to; t += 0.005) {
    const double db = level_db(a, t, t + 0.01);
    if (rising ? db >= threshold_db : db <= threshold_db) return t;
  }
  return std::nan("");
}

struct PedalTimes {
  double onset_a, onset_b, lag_a, held_until;
};

// Note A: 0.5-0.8 s, no pedal; note B: 3.0-3.3 s, pedal 2.9-4.5 s. Onsets: 20 dB under the note's
// loudest frame. Offsets: 20 dB under the level just before the release (key-up for A, pedal-up
// for B). A's offset lag (the release's own shape) taken from B's offset says until when B sounded.
PedalTimes pedal_times(const Audio& a) {
  PedalTimes p;
  const double peak_a = level_db(a, 0.5, 0.6), peak_b = level_db(a, 3.0, 3.1);
  p.onset_a = crossing(a, 0.3, 1.0, peak_a - 20, true);
  p.onset_b = crossing(a, 2.8, 3.5, peak_b - 20, true);
  p.lag_a = crossing(a, 0.79, 2.5, level_db(a, 0.7, 0.79) - 20, false) - 0.8;
  p.held_until = crossing(a, 4.49, 7.0, level_db(a, 4.4, 4.49) - 20, false) - p.lag_a;
  return p;
}

TEST(StudioGoals, SustainPedalHoldsNotesUntilItLifts) {
  SKIP_WITHOUT_FLUIDR3();
  const NoteSequence seq = studio_file("sustain-pedal.mid");
  const Audio a = ours(seq), f = fluidsynth(seq, false);
  const PedalTimes po = pedal_times(a), pf = pedal_times(f);
  std::printf("[CC64] onset A: timbrel %.3f s, fluidsynth %.3f s; onset B: %.3f s, %.3f s\n", po.onset_a, pf.onset_a, po.onset_b, pf.onset_b);
  std::printf("[CC64] release lag at key-up: timbrel %.3f s, fluidsynth %.3f s\n", po.lag_a, pf.lag_a);
  std::printf("[CC64] pedalled note sounds until: timbrel %.3f s, fluidsynth %.3f s (pedal up at 4.500 s)\n", po.held_until, pf.held_until);
  std::printf("[CC64] level 1.1 s after the key-up under the pedal (dB re the note's start): timbrel %.1f, fluidsynth %.1f\n",
              level_db(a, 4.4, 4.49) - level_db(a, 3.0, 3.1), level_db(f, 4.4, 4.49) - level_db(f, 3.0, 3.1));
  EXPECT_NEAR(pf.held_until, 4.5, 0.02) << "the measure on FluidSynth";
  EXPECT_NEAR(po.onset_a, pf.onset_a, 0.02);
  EXPECT_NEAR(po.onset_b, pf.onset_b, 0.02);
  EXPECT_NEAR(po.held_until, pf.held_until, 0.02);
}

// Median pitch (MIDI) that `aubiopitch -p yin` finds over [from, to) s of a 48 kHz mono render
// (window 6144, hop 768). yinfft (train::aubio_median_pitch) is printed beside it: on our note bent
// up an octave it reports the octave below (69.01) though the spectrum's fundamental is at 877 Hz
// and the subharmonic 36-65 dB under it; YIN's first-dip rule does not fall for it.
double yin_median_pitch(const std::vector<float>& audio, const std::string& wav, double from, double to) {
  // Only the window and 0.2 s before it go to the (slow, time-domain) tracker.
  const size_t first = size_t(std::max(0.0, from - 0.2) * kRate), last = std::min(audio.size(), size_t(to * kRate));
  if (last <= first) return std::nan("");
  write_sound_file(wav, Audio{kRate, 1, std::vector<float>(audio.begin() + long(first), audio.begin() + long(last))}, SampleFormat::Float32);
  from -= double(first) / kRate;
  to -= double(first) / kRate;
  std::string out;
  if (test::run_command("aubiopitch -p yin -u midi -B 6144 -H 768 -i '" + wav + "'", &out) != 0) return std::nan("");
  std::vector<double> pitches;
  std::istringstream lines(out);
  double t = 0, p = 0;
  while (lines >> t >> p)
    if (t >= from && t < to && p > 0) pitches.push_back(p);
  if (pitches.empty()) return std::nan("");
  std::nth_element(pitches.begin(), pitches.begin() + long(pitches.size() / 2), pitches.end());
  return pitches[pitches.size() / 2];
}

struct BendCase {
  double from, to, semitones;
};

// Unbent, bent up, bent down, unbent.
void expect_bend_tracked(const Audio& a, const Audio& f, double range, const std::string& what) {
  const double full_up = range * 8191.0 / 8192.0;
  const BendCase cases[] = {{0.5, 0.95, 0}, {1.3, 1.9, full_up}, {2.3, 2.9, -range}, {3.3, 3.9, 0}};
  const std::string wav = test::temp_dir() + "/bend.wav";
  for (const BendCase& c : cases) {
    const double target = 69 + c.semitones;
    const double p = yin_median_pitch(mono(a), wav, c.from, c.to), q = yin_median_pitch(mono(f), wav, c.from, c.to);
    const double p_fft = train::aubio_median_pitch(mono(a), a.sample_rate, wav, c.from, c.to);
    std::printf("[bend %s] %.1f-%.1f s target %.3f: timbrel %.3f (%+.1f cents; yinfft %.3f), fluidsynth %.3f (%+.1f cents)\n", what.c_str(),
                c.from, c.to, target, p, 100 * (p - target), p_fft, q, 100 * (q - target));
    EXPECT_NEAR(p, target, 0.10) << what << " at " << c.from << " s";
  }
}

TEST(StudioGoals, PitchBendInTheDefaultRangeGansynthAndDdsp) {
  SKIP_WITHOUT_FLUIDR3();
  if (!train::aubiopitch_available()) GTEST_SKIP() << "no aubiopitch (apt install aubio-tools)";
  const NoteSequence seq = studio_file("bend-2.mid");
  const Audio f = fluidsynth(seq, false);
  expect_bend_tracked(ours(seq), f, 2, "+-2 gansynth");
  expect_bend_tracked(ours(seq, TimbreEngine::Ddsp), f, 2, "+-2 ddsp");
}

TEST(StudioGoals, PitchBendInAnRpnRangeOf12GansynthAndDdsp) {
  SKIP_WITHOUT_FLUIDR3();
  if (!train::aubiopitch_available()) GTEST_SKIP() << "no aubiopitch (apt install aubio-tools)";
  const NoteSequence seq = studio_file("bend-rpn-12.mid");
  const Audio f = fluidsynth(seq, false);
  expect_bend_tracked(ours(seq), f, 12, "RPN 12 gansynth");
  expect_bend_tracked(ours(seq, TimbreEngine::Ddsp), f, 12, "RPN 12 ddsp");
}

// Level (dB) of a - b over [from, to) s.
double difference_db(const Audio& a, const Audio& b, double from, double to) {
  Audio d = a;
  for (size_t i = 0; i < d.samples.size() && i < b.samples.size(); ++i) d.samples[i] -= b.samples[i];
  return level_db(d, from, to);
}

TEST(StudioGoals, ReverbSendZeroIsDry) {
  SKIP_WITHOUT_FLUIDR3();
  const NoteSequence seq = studio_file("click-reverb.mid");
  NoteRenderOptions dry;
  dry.room = false;
  const Audio a = ours(seq), a_dry = engine().render(seq, dry), f = fluidsynth(seq, true), f_dry = fluidsynth(seq, false);
  // Claves at 0.5 s (CC91 = 0) and 3.0 s (CC91 = 127): what the room adds to each, relative to the hit.
  const double hit1 = level_db(a_dry, 0.5, 0.55), hit2 = level_db(a_dry, 3.0, 3.05);
  const double room1 = difference_db(a, a_dry, 0.0, 2.5) - hit1, room2 = difference_db(a, a_dry, 3.0, 6.0) - hit2;
  const double froom1 = difference_db(f, f_dry, 0.0, 2.5) - level_db(f_dry, 0.5, 0.55);
  const double froom2 = difference_db(f, f_dry, 3.0, 6.0) - level_db(f_dry, 3.0, 3.05);
  std::printf("[CC91] what the room adds re the hit, CC91=0: timbrel %.1f dB, fluidsynth %.1f dB; CC91=127: timbrel %.1f dB, fluidsynth %.1f dB\n",
              room1, froom1, room2, froom2);
  EXPECT_LE(room1, -120.0) << "CC91 = 0: the room adds nothing";
  EXPECT_GE(room2, -40.0) << "CC91 = 127: the room is heard";
}

}  // namespace
