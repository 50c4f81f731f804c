// The studio mix: General MIDI controllers (render/gm_controls.h, channel_controls.h), a voice's
// placement (note_placement.h) and the stereo render with its room, checked against the
// definitions (GM2 gain and pan curves, RPN 0) on sine voices and on the bundled models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "render/channel_controls.h"
#include "render/note_placement.h"
#include "render/note_renderer.h"
#include "timbrel/error.h"
#include "timbrel/render.h"

using namespace timbrel;

namespace {

const std::string kSource = TIMBREL_SOURCE_DIR;

const Gansynth& bundled() {
  static Gansynth g = Gansynth::load(kSource + "/models/gm-timbres");
  return g;
}

ControlChange cc(double time, int number, int value, int channel = 0) {
  ControlChange c;
  c.time = time, c.number = number, c.value = value, c.channel = channel;
  return c;
}

PitchBend bend(double time, int value, int channel = 0) {
  PitchBend b;
  b.time = time, b.bend = value, b.channel = channel;
  return b;
}

Note note(int pitch, double start, double end, int channel = 0) {
  Note n;
  n.pitch = pitch, n.start_time = start, n.end_time = end, n.channel = channel, n.velocity = 127;
  return n;
}

// A sine voice placed on `channel` of `seq` at 48 kHz: the stereo mix, the sends unused.
std::vector<float> place_sine(const NoteSequence& seq, double hz, double seconds, int channel = 0, bool follow_pitch = true) {
  const int rate = 48000;
  const SequenceControls controls(seq);
  std::vector<float> source(size_t(seconds * rate * 2.5));
  for (size_t i = 0; i < source.size(); ++i) source[i] = float(std::sin(2 * M_PI * hz * double(i) / rate));
  std::vector<float> stereo(size_t(2 * seconds * rate)), reverb(stereo.size() / 2), chorus(stereo.size() / 2);
  Placement p;
  p.source = source.data();
  p.source_frames = source.size();
  p.length = reverb.size();
  p.held = double(p.length);
  p.follow_pitch = follow_pitch;
  p.channel = &controls.channel(channel);
  p.rate = rate;
  place_voice(p, {stereo.data(), reverb.data(), chorus.data(), 0, reverb.size()});
  return stereo;
}

double channel_rms(const std::vector<float>& stereo, int side, double from_s, double to_s, int rate = 48000) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = size_t(from_s * rate); i < size_t(to_s * rate) && 2 * i + 1 < stereo.size(); ++i, ++n)
    sum += double(stereo[2 * i + size_t(side)]) * stereo[2 * i + size_t(side)];
  return n ? std::sqrt(sum / double(n)) : 0.0;
}

// The strongest frequency within +-`cents` of `hz` in one channel over [from_s, to_s), by a
// Hann-windowed DFT on a 0.5-cent grid.
double peak_hz(const std::vector<float>& stereo, int side, double from_s, double to_s, double hz, double cents = 60, int rate = 48000) {
  const size_t a = size_t(from_s * rate), n = size_t((to_s - from_s) * rate);
  double best = -1, at = hz;
  for (double c = -cents; c <= cents; c += 0.5) {
    const double f = hz * std::exp2(c / 1200);
    double re = 0, im = 0;
    for (size_t i = 0; i < n; ++i) {
      const double w = 0.5 - 0.5 * std::cos(2 * M_PI * double(i) / double(n));
      const double x = w * stereo[2 * (a + i) + size_t(side)];
      re += x * std::cos(2 * M_PI * f * double(i) / rate);
      im -= x * std::sin(2 * M_PI * f * double(i) / rate);
    }
    if (re * re + im * im > best) best = re * re + im * im, at = f;
  }
  return at;
}

double cents(double a, double b) { return 1200 * std::log2(a / b); }

}  // namespace

TEST(GmControls, GainPanAndBendRangeFollowTheDefinitions) {
  EXPECT_NEAR(20 * std::log10(gm::channel_gain(50, 127)), 40 * std::log10(50.0 / 100.0), 1e-4);
  EXPECT_NEAR(20 * std::log10(gm::channel_gain(100, 64)), 40 * std::log10(64.0 / 127.0), 1e-4);
  EXPECT_EQ(gm::channel_gain(0, 127), 0.0f);
  EXPECT_NEAR(gm::pan_gains(64).left, gm::pan_gains(64).right, 0.02);
  EXPECT_NEAR(gm::pan_gains(0).right, 0.0, 1e-7);
  EXPECT_NEAR(gm::pan_gains(127).left, 0.0, 1e-7);
  gm::ChannelControls c;
  c.pitch_bend(8191);
  EXPECT_NEAR(c.bend_semitones(), 2.0, 0.001);
  c.control_change(6, 12);  // data entry without RPN 0 selected: ignored
  EXPECT_NEAR(c.bend_semitones(), 2.0, 0.001);
  for (auto [n, v] : std::initializer_list<std::pair<int, int>>{{101, 0}, {100, 0}, {6, 12}, {38, 50}}) c.control_change(n, v);
  EXPECT_NEAR(c.bend_range, 12.5, 1e-9);
  c.control_change(7, 30);
  c.control_change(11, 20);
  c.control_change(64, 127);
  c.control_change(121, 0);  // reset all controllers: bend, expression, pedal; not volume
  EXPECT_EQ(c.bend, 0);
  EXPECT_EQ(c.expression, 127);
  EXPECT_FALSE(c.sustain);
  EXPECT_EQ(c.volume, 30);
  EXPECT_EQ(c.reverb, gm::kDefaultReverbSend);
}

TEST(GmControls, TheSustainPedalHoldsNotesUntilItLifts) {
  NoteSequence s;
  s.add_note(note(60, 0.0, 0.5));  // released with the pedal down: held to 2.0
  s.add_note(note(64, 0.0, 0.5));  // struck again at 1.0: held to 1.0
  s.add_note(note(64, 1.0, 1.2));  // held to 2.0
  s.add_note(note(67, 2.5, 3.0));  // after the pedal: as played
  s.add_note(note(72, 0.0, 0.5, 1));  // another channel: its own pedal (none)
  s.control_changes = {cc(0.1, 64, 127), cc(2.0, 64, 0)};
  apply_sustain(s, SequenceControls(s));
  EXPECT_DOUBLE_EQ(s.notes[0].end_time, 2.0);
  EXPECT_DOUBLE_EQ(s.notes[1].end_time, 1.0);
  EXPECT_DOUBLE_EQ(s.notes[2].end_time, 2.0);
  EXPECT_DOUBLE_EQ(s.notes[3].end_time, 3.0);
  EXPECT_DOUBLE_EQ(s.notes[4].end_time, 0.5);
  s.control_changes = {cc(3.1, 64, 127)};  // never lifted: notes released under it last to the end of the music
  s.add_note(note(48, 3.0, 3.5));
  s.add_note(note(50, 3.0, 4.0));
  apply_sustain(s, SequenceControls(s));
  EXPECT_DOUBLE_EQ(s.notes[5].end_time, 4.0);
}

TEST(NotePlacement, PanFollowsTheConstantPowerLaw) {
  for (int pan : {0, 64, 127}) {
    NoteSequence s;
    s.control_changes = {cc(0, 10, pan)};
    const auto mix = place_sine(s, 440, 1.0);
    const double l = channel_rms(mix, 0, 0.1, 0.9), r = channel_rms(mix, 1, 0.1, 0.9);
    if (pan == 64) EXPECT_NEAR(20 * std::log10(l / r), 0.0, 0.1);
    if (pan == 0) EXPECT_GT(20 * std::log10(l / (r + 1e-12)), 10.0);
    if (pan == 127) EXPECT_GT(20 * std::log10(r / (l + 1e-12)), 10.0);
    EXPECT_NEAR(l * l + r * r, 0.5, 0.01) << pan;  // constant power: a sine's 0.5 in all
  }
}

TEST(NotePlacement, VolumeAndExpressionStepsFollowTheGmCurve) {
  NoteSequence s;
  s.control_changes = {cc(0.5, 7, 50), cc(1.0, 11, 64)};
  const auto mix = place_sine(s, 440, 1.5);
  const double before = channel_rms(mix, 0, 0.1, 0.45), volume = channel_rms(mix, 0, 0.6, 0.95), both = channel_rms(mix, 0, 1.1, 1.45);
  EXPECT_NEAR(20 * std::log10(volume / before), 40 * std::log10(50.0 / 100.0), 0.05);
  EXPECT_NEAR(20 * std::log10(both / volume), 40 * std::log10(64.0 / 127.0), 0.05);
}

TEST(NotePlacement, PitchBendMovesThePitchInItsRpnRange) {
  NoteSequence s;
  s.pitch_bends = {bend(0.5, 8191)};
  auto mix = place_sine(s, 440, 1.0);
  EXPECT_NEAR(cents(peak_hz(mix, 0, 0.1, 0.45, 440), 440), 0.0, 1.0);
  EXPECT_NEAR(cents(peak_hz(mix, 0, 0.55, 0.95, 440 * std::exp2(2 / 12.0)), 440), 200.0, 2.0);
  // RPN 0 = 12 semitones, bent down fully.
  s.control_changes = {cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 12)};
  s.pitch_bends = {bend(0.5, -8192)};
  mix = place_sine(s, 440, 1.0);
  EXPECT_NEAR(cents(peak_hz(mix, 0, 0.55, 0.95, 220), 440), -1200.0, 2.0);
  // Drum voices (follow_pitch off) ignore it.
  mix = place_sine(s, 440, 1.0, 0, false);
  EXPECT_NEAR(cents(peak_hz(mix, 0, 0.55, 0.95, 440), 440), 0.0, 1.0);
}

TEST(NotePlacement, ModulationAddsVibratoOfFiftyCentsAtFull) {
  NoteSequence s;
  s.control_changes = {cc(0, 1, 127)};
  const auto mix = place_sine(s, 1000, 1.0);
  // Instantaneous frequency from zero crossings: swings +-50 cents around 1 kHz.
  double lo = 1e9, hi = 0, last = -1;
  for (size_t i = 4800; i + 1 < mix.size() / 2; ++i) {
    const float a = mix[2 * i], b = mix[2 * i + 2];
    if (a <= 0 && b > 0) {
      const double t = double(i) + a / double(a - b);
      if (last > 0) lo = std::min(lo, 48000 / (t - last)), hi = std::max(hi, 48000 / (t - last));
      last = t;
    }
  }
  EXPECT_NEAR(cents(hi, 1000), 50.0, 4.0);
  EXPECT_NEAR(cents(lo, 1000), -50.0, 4.0);
}

TEST(StereoRender, PannedTracksSitInTheirChannelsAndRendersRepeat) {
  NoteSequence s;
  for (int ch = 0; ch < 3; ++ch) s.add_note(note(60 + 7 * ch, ch * 1.0, ch * 1.0 + 0.8, ch));
  s.control_changes = {cc(0, 10, 0, 0), cc(0, 10, 64, 1), cc(0, 10, 127, 2)};
  NoteRenderOptions o;
  o.schedule.timbres = {"preset:Flute"};
  NoteRenderReport r;
  const Audio a = render_sequence(s, bundled(), nullptr, o, &r);
  ASSERT_EQ(a.channels, 2);
  ASSERT_EQ(a.sample_rate, 48000);
  const double left[3] = {channel_rms(a.samples, 0, 0.1, 0.7), channel_rms(a.samples, 0, 1.1, 1.7), channel_rms(a.samples, 0, 2.1, 2.7)};
  const double right[3] = {channel_rms(a.samples, 1, 0.1, 0.7), channel_rms(a.samples, 1, 1.1, 1.7), channel_rms(a.samples, 1, 2.1, 2.7)};
  EXPECT_GT(20 * std::log10(left[0] / right[0]), 10.0);
  EXPECT_NEAR(20 * std::log10(left[1] / right[1]), 0.0, 1.5);
  EXPECT_GT(20 * std::log10(right[2] / left[2]), 10.0);
  EXPECT_EQ(render_sequence(s, bundled(), nullptr, o).samples, a.samples);  // bit-identical run to run
  EXPECT_LT(r.integrated_lufs, 0.0);
  EXPECT_LT(r.true_peak_dbtp, 0.0);
}

TEST(StereoRender, NoSendsIsTheDryRender) {
  NoteSequence s;
  s.add_note(note(60, 0.0, 0.5));
  s.add_note(note(67, 0.25, 1.0, 1));
  for (int ch : {0, 1}) s.control_changes.push_back(cc(0, 91, 0, ch));
  NoteRenderOptions o;
  o.schedule.timbres = {"preset:Flute"};
  const Audio room = render_sequence(s, bundled(), nullptr, o);
  o.room = false;
  const Audio dry = render_sequence(s, bundled(), nullptr, o);
  ASSERT_GE(room.samples.size(), dry.samples.size());
  EXPECT_TRUE(std::equal(dry.samples.begin(), dry.samples.end(), room.samples.begin()));
  s.control_changes.clear();  // GM's default send (40): the room rings on after the notes
  o.room = true;
  const Audio wet = render_sequence(s, bundled(), nullptr, o);
  EXPECT_GT(channel_rms(wet.samples, 0, 1.35, 1.5), 1e-4);
  EXPECT_EQ(channel_rms(dry.samples, 0, 1.35, 1.5), 0.0);
}

TEST(StereoRender, BentGansynthNotesReachTheBentPitch) {
  for (int semitones : {2, -2, 12}) {
    NoteSequence s;
    s.add_note(note(69, 0.0, 2.0));
    if (semitones == 12) s.control_changes = {cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 12)};
    NoteRenderOptions o;
    o.schedule.timbres = {"preset:Flute"};
    o.room = false;
    const Audio plain = render_sequence(s, bundled(), nullptr, o);
    s.pitch_bends = {bend(1.0, semitones > 0 ? 8191 : -8192)};
    const Audio bent = render_sequence(s, bundled(), nullptr, o);
    const double f0 = peak_hz(plain.samples, 0, 1.2, 1.8, 440);
    const double target = f0 * std::exp2(std::abs(semitones) * (semitones > 0 ? 8191.0 / 8192 : 1.0) / 12.0 * (semitones > 0 ? 1 : -1));
    EXPECT_NEAR(cents(peak_hz(bent.samples, 0, 1.2, 1.8, target, 30), target), 0.0, 10.0) << semitones;
    EXPECT_NEAR(cents(peak_hz(bent.samples, 0, 0.3, 0.9, f0, 30), f0), 0.0, 2.0) << "before the bend";
  }
}
