// Notes -> DDSP control curves (synth/ddsp_performance.h): voices, pitch, glide, vibrato, bend,
// envelope and controllers, each checked against values worked out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "synth/ddsp_performance.h"

using namespace timbrel::synth;

namespace {

constexpr int kRate = 250;

PerformanceOptions plain() {
  PerformanceOptions o;
  o.vibrato_cents = 0;
  o.peak_db = -50;
  return o;
}

double midi_of(float hz) { return 69 + 12 * std::log2(hz / 440.0); }
size_t frame(double seconds) { return size_t(std::lround(seconds * kRate)); }

TEST(DdspPerformanceOptions, ChordsOpenVoicesAndLegatoStaysInOne) {
  // A C major chord, then a legato line (touching notes), then an overlap beyond the legato gap.
  std::vector<VoiceNote> notes{{0, 1, 60, 100}, {0, 1, 64, 100}, {0, 1, 67, 100},
                               {1, 1.5, 62, 100}, {1.5, 2, 64, 100}, {1.98, 2.5, 65, 100}};
  const auto lines = split_voices(notes, 0.03);
  ASSERT_EQ(lines.size(), 3u);
  size_t longest = 0;
  for (const auto& l : lines) longest = std::max(longest, l.size());
  EXPECT_EQ(longest, 4u);  // 6x -> 62 -> 64 -> 65: the 20 ms overlap is legato
  const std::vector<VoiceNote> overlapping{{0, 1, 60, 100}, {0.5, 1.5, 62, 100}};
  EXPECT_EQ(split_voices(overlapping, 0.03).size(), 2u);
}

TEST(DdspPerformanceOptions, ANoteIsInTuneAtItsVelocitysLevelAndSilentOutside) {
  const PerformanceOptions o = plain();
  const std::vector<VoiceNote> line{{1.0, 2.0, 69, 64}};
  const ControlCurves c = performance_curves(line, {}, 0, frame(3.0), o);
  EXPECT_FLOAT_EQ(c.f0_hz[frame(1.5)], 440.0f);
  EXPECT_FLOAT_EQ(c.f0_hz[frame(0.5)], 440.0f);  // the f0 waits at the coming note's pitch
  const double level = -50 + 40 * std::log10(64 / 127.0);  // -61.9 dB
  EXPECT_NEAR(c.loudness_db[frame(1.5)], level, 1e-4);
  EXPECT_EQ(c.loudness_db[frame(0.9)], o.floor_db);
  // Attack: linear amplitude, half way after attack / 2.
  EXPECT_NEAR(c.loudness_db[frame(1.0 + o.attack / 2)], level + 20 * std::log10(0.5), 0.05);
  // Release: 60 dB over `release`; silence after it.
  const size_t mid_release = frame(2.0 + o.release / 2);
  EXPECT_NEAR(c.loudness_db[mid_release], level - 60 * (double(mid_release) / kRate - 2.0) / o.release, 0.01);
  EXPECT_EQ(c.loudness_db[frame(2.0 + o.release + 0.02)], o.floor_db);
}

TEST(DdspPerformanceOptions, LegatoGlidesWithoutARestrike) {
  PerformanceOptions o = plain();
  o.glide = 0.2;
  const std::vector<VoiceNote> line{{0, 1, 60, 127}, {1, 2, 64, 127}};
  const ControlCurves c = performance_curves(line, {}, 0, frame(2.5), o);
  EXPECT_NEAR(midi_of(c.f0_hz[frame(0.996)]), 60, 1e-4);
  EXPECT_NEAR(midi_of(c.f0_hz[frame(1.1)]), 62, 1e-3);  // smoothstep's middle
  EXPECT_NEAR(midi_of(c.f0_hz[frame(1.2)]), 64, 1e-4);
  for (size_t k = frame(0.5); k < frame(1.5); ++k) EXPECT_NEAR(c.loudness_db[k], -50, 1e-3) << k;
}

TEST(DdspPerformanceOptions, DetachedNotesReleaseAndAttackAgain) {
  const PerformanceOptions o = plain();
  const std::vector<VoiceNote> line{{0, 1, 60, 127}, {1.2, 2, 60, 127}};
  const ControlCurves c = performance_curves(line, {}, 0, frame(2.5), o);
  EXPECT_NEAR(c.loudness_db[frame(1.1)], -50 - 60 * 0.1 / o.release, 0.05);
  // The new attack starts under the old release and takes over once louder.
  EXPECT_NEAR(c.loudness_db[frame(1.2)], -50 - 60 * 0.2 / o.release, 0.05);
  EXPECT_NEAR(c.loudness_db[frame(1.2 + o.attack)], -50, 1e-3);
}

TEST(DdspPerformanceOptions, VibratoGrowsInAfterTheDelay) {
  PerformanceOptions o = plain();
  o.vibrato_cents = 20;
  o.vibrato_rate = 5;
  o.vibrato_delay = 0.3;
  const std::vector<VoiceNote> line{{0, 3, 69, 127}};
  const ControlCurves c = performance_curves(line, {}, 0, frame(3.0), o);
  auto swing = [&](double from, double to) {
    double lo = 1e9, hi = -1e9;
    for (size_t k = frame(from); k < frame(to); ++k) {
      lo = std::min(lo, midi_of(c.f0_hz[k]));
      hi = std::max(hi, midi_of(c.f0_hz[k]));
    }
    return (hi - lo) * 100;  // cents
  };
  EXPECT_NEAR(swing(0, 0.3), 0, 1e-3);
  EXPECT_NEAR(swing(1, 2), 40, 0.5);  // +-20 cents
}

TEST(DdspPerformanceOptions, BendModulationAndExpressionDriveTheCurves) {
  const PerformanceOptions o = plain();
  const std::vector<VoiceNote> line{{0, 3, 69, 127}};
  VoiceControllers c;
  c.bend = {{1.0, 2.0f}};               // +2 semitones from 1 s
  c.gain = {{2.0, 0.5f}};               // volume x expression 0.5 from 2 s: 40 log10(0.5) = -12 dB
  c.modulation = {{2.5, 1.0f}};         // full modulation: +-50 cents of vibrato
  const ControlCurves k = performance_curves(line, c, 0, frame(3.0), o);
  EXPECT_NEAR(midi_of(k.f0_hz[frame(0.5)]), 69, 1e-4);
  EXPECT_NEAR(midi_of(k.f0_hz[frame(1.5)]), 71, 1e-4);
  EXPECT_NEAR(k.loudness_db[frame(1.5)], -50, 1e-4);
  EXPECT_NEAR(k.loudness_db[frame(2.2)], -50 + 40 * std::log10(0.5), 1e-3);
  double hi = 0;
  for (size_t f = frame(2.5); f < frame(3.0); ++f) hi = std::max(hi, midi_of(k.f0_hz[f]) - 71);
  EXPECT_NEAR(hi * 100, 50, 1.0);
  EXPECT_FLOAT_EQ(control_at(c.bend, 0.99, 0.25f), 0.25f);
}

TEST(DdspPerformanceOptions, CurvesStartWhereAsked) {
  const PerformanceOptions o = plain();
  const std::vector<VoiceNote> line{{1, 2, 60, 100}, {2.5, 3, 72, 100}};
  const ControlCurves whole = performance_curves(line, {}, 0, frame(4), o);
  const ControlCurves part = performance_curves(line, {}, frame(1.5), frame(2), o);
  for (size_t k = 0; k < part.f0_hz.size(); ++k) {
    EXPECT_FLOAT_EQ(part.f0_hz[k], whole.f0_hz[frame(1.5) + k]);
    EXPECT_FLOAT_EQ(part.loudness_db[k], whole.loudness_db[frame(1.5) + k]);
  }
}

}  // namespace

namespace {

// A learned shape: a ramp from -20 dB to 0 over 0.1 s, then a fall of 10 dB a second to -20 dB at 2.1 s (50 values a second).
PerformanceOptions decaying() {
  PerformanceOptions o = plain();
  o.envelopes.rate = 50;
  o.envelopes.bands.emplace_back();
  for (int k = 0; k <= 105; ++k) o.envelopes.bands[0].push_back(k <= 5 ? -20.0f + 4.0f * float(k) : -0.2f * float(k - 5));
  return o;
}

}  // namespace

TEST(DdspPerformanceOptions, ALearnedEnvelopeShapesTheHeldNote) {
  const PerformanceOptions o = decaying();
  const std::vector<VoiceNote> line{{1.0, 4.0, 69, 127}};
  const ControlCurves c = performance_curves(line, {}, 0, frame(5.0), o);
  EXPECT_NEAR(c.loudness_db[frame(1.04)], -50 - 12, 1e-3);      // its own attack, not the linear one
  EXPECT_NEAR(c.loudness_db[frame(1.1)], -50, 1e-3);            // the peak
  EXPECT_NEAR(c.loudness_db[frame(2.1)], -50 - 10, 1e-3);       // falling 10 dB a second
  EXPECT_NEAR(c.loudness_db[frame(3.6)], -50 - 25, 1e-3);       // beyond its end: the last second's fall goes on
  // The release starts from where the shape has brought the note (-79 dB at 4 s).
  const size_t mid_release = frame(4.0 + o.release / 2);
  EXPECT_NEAR(c.loudness_db[mid_release], -79 - 60 * (double(mid_release) / kRate - 4.0) / o.release, 0.01);
  // Without a shape: the flat hold.
  EXPECT_NEAR(performance_curves(line, {}, 0, frame(5.0), plain()).loudness_db[frame(3.6)], -50, 1e-4);
}

// Bands by pitch: a note between two band centres takes the blend of their shapes.
TEST(DdspPerformanceOptions, EnvelopeBandsBlendByPitch) {
  LearnedEnvelopes e;
  e.rate = 10;
  e.first_pitch = 48;
  e.pitch_step = 12;
  e.bands = {{0, -10, -20}, {0, -20, -40}};  // falling 100 and 200 dB a second
  EXPECT_NEAR(e.db(48, 0.1), -10, 1e-9);
  EXPECT_NEAR(e.db(60, 0.1), -20, 1e-9);
  EXPECT_NEAR(e.db(54, 0.1), -15, 1e-9);  // half way between the centres
  EXPECT_NEAR(e.db(30, 0.1), -10, 1e-9);  // below the first centre: the first band
  EXPECT_NEAR(e.db(90, 0.3), -60, 1e-9);  // above the last, beyond its end: its fall goes on
}
