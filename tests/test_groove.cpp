// timbrel/groove.h without a model: GrooVAE's encoding of a performance, taps, a groove applied
// to a beat and groove transfer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "timbrel/error.h"
#include "timbrel/groove.h"

using namespace timbrel;

namespace {

constexpr double kQpm = 100, kStep = 60.0 / kQpm / 4;  // 0.15 s a sixteenth

Note drum(int pitch, double start, int velocity = 100) {
  Note n;
  n.pitch = pitch, n.start_time = start, n.end_time = start + 0.1, n.velocity = velocity, n.is_drum = true, n.channel = 9;
  return n;
}

NoteSequence performance(const std::vector<Note>& notes) {
  NoteSequence s;
  s.tempos = {{0.0, kQpm}};
  for (const Note& n : notes) s.add_note(n);
  return s;
}

// Two bars of eighth-note closed hats (pitch 42), the off-beats `late` steps late, kick on 1 and 3.
NoteSequence swung_hats(double late, int bars = 2) {
  std::vector<Note> notes;
  for (int s = 0; s < 16 * bars; s += 2) notes.push_back(drum(42, (s + (s % 4 == 2 ? late : 0.0)) * kStep, s % 4 == 2 ? 60 : 110));
  for (int s = 0; s < 16 * bars; s += 8) notes.push_back(drum(36, s * kStep, 120));
  return performance(notes);
}

}  // namespace

TEST(GrooveCodec, EncodesHitsVelocitiesAndOffsetsAndDecodesThemBack) {
  const NoteSequence played = performance({drum(36, 0.01), drum(38, 4 * kStep - 0.02, 64), drum(42, 6 * kStep + 0.4 * kStep, 127)});
  const GrooveSteps g = encode_groove(played);
  EXPECT_EQ(g.steps, 16);  // padded to a whole bar
  EXPECT_EQ(g.hits(), 3);
  EXPECT_FLOAT_EQ(g.hit[g.index(0, 0)], 1.f);
  EXPECT_NEAR(g.offset[g.index(0, 0)], 0.01 / kStep, 1e-5);
  EXPECT_NEAR(g.offset[g.index(4, 1)], -0.02 / kStep, 1e-5);
  EXPECT_NEAR(g.velocity[g.index(4, 1)], 64.f / 127.f, 1e-6);
  EXPECT_NEAR(g.offset[g.index(6, 2)], 0.4, 1e-5);
  const NoteSequence back = decode_groove(g);
  ASSERT_EQ(back.notes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(back.notes[i].start_time, played.notes[i].start_time, 1e-6);
    EXPECT_EQ(back.notes[i].velocity, played.notes[i].velocity);
    EXPECT_TRUE(back.notes[i].is_drum);
  }
}

TEST(GrooveCodec, KeepsTheLouderOfTwoHitsOfAClassInAStepAndDropsUnknownPitchesAndPitchedNotes) {
  NoteSequence s = performance({drum(38, 0.0, 50), drum(40, 0.01, 90), drum(20, 0.0)});
  Note piano = drum(60, 0.0);
  piano.is_drum = false;
  s.add_note(piano);
  const GrooveSteps g = encode_groove(s);
  EXPECT_EQ(g.hits(), 1);
  EXPECT_NEAR(g.velocity[g.index(0, 1)], 90.f / 127.f, 1e-6);
  EXPECT_NEAR(g.offset[g.index(0, 1)], 0.01 / kStep, 1e-5);
}

TEST(GrooveCodec, TapsKeepEachStepsLoudestHitOnOneClass) {
  const GrooveSteps g = encode_groove(performance({drum(36, 0.0, 120), drum(42, 0.005, 70), drum(42, 2 * kStep + 0.01, 80)}));
  const GrooveSteps t = tap_groove(g);
  EXPECT_EQ(t.hits(), 2);
  EXPECT_NEAR(t.velocity[t.index(0, kTapClass)], 120.f / 127.f, 1e-6);
  EXPECT_NEAR(t.offset[t.index(0, kTapClass)], 0.0, 1e-6);
  EXPECT_NEAR(t.offset[t.index(2, kTapClass)], 0.01 / kStep, 1e-5);
  const GrooveSteps q = quantized_groove(g);
  EXPECT_EQ(q.hits(), 3);
  for (size_t i = 0; i < q.hit.size(); ++i) EXPECT_EQ(q.velocity[i] + q.offset[i], 0.f);
}

TEST(GrooveCodec, TapsFromNotesTakeAnyKey) {
  NoteSequence taps = performance({});
  for (int pitch : {60, 61, 72}) {
    Note n = drum(pitch, (pitch - 60) * kStep);
    n.is_drum = false;
    taps.add_note(n);
  }
  const GrooveSteps t = taps_from_notes(taps, kQpm);
  EXPECT_EQ(t.hits(), 3);
  EXPECT_FLOAT_EQ(t.hit[t.index(12, kTapClass)], 1.f);
}

TEST(GrooveApply, MovesDrumNotesToTheFeelKeepingPitchLengthAndOtherNotes) {
  NoteSequence beat = performance({drum(44, 2 * kStep), drum(36, 0.0)});
  Note bass = drum(40, 0.0);
  bass.is_drum = false;
  beat.add_note(bass);
  GrooveSteps feel = encode_groove(beat);
  feel.offset[feel.index(2, 2)] = 0.25f, feel.velocity[feel.index(2, 2)] = 0.5f;
  const NoteSequence out = apply_groove(beat, feel);
  ASSERT_EQ(out.notes.size(), 3u);
  const Note& pedal = *std::find_if(out.notes.begin(), out.notes.end(), [](const Note& n) { return n.pitch == 44; });
  EXPECT_NEAR(pedal.start_time, 2.25 * kStep, 1e-9);
  EXPECT_NEAR(pedal.end_time - pedal.start_time, 0.1, 1e-9);
  EXPECT_EQ(pedal.velocity, 64);
  const Note& kept = *std::find_if(out.notes.begin(), out.notes.end(), [](const Note& n) { return !n.is_drum; });
  EXPECT_EQ(kept.start_time, 0.0);
  EXPECT_EQ(kept.velocity, 100);
}

TEST(GrooveTransfer, GivesAStraightBeatTheSwingOfAPerformance) {
  const NoteSequence straight = swung_hats(0.0, 4);
  NoteSequence with_ride = straight;
  with_ride.add_note(drum(51, 6 * kStep));  // a ride the performance never plays: the step's feel
  const NoteSequence out = transfer_groove(with_ride, swung_hats(1.0 / 3.0));
  const GrooveSteps g = encode_groove(out);
  for (int s = 2; s < g.steps; s += 4) EXPECT_NEAR(g.offset[g.index(s, 2)], 1.0 / 3.0, 1e-5) << "step " << s;
  for (int s = 0; s < g.steps; s += 4) EXPECT_NEAR(g.offset[g.index(s, 2)], 0.0, 1e-5) << "step " << s;
  EXPECT_NEAR(g.offset[g.index(6, 8)], 1.0 / 3.0, 1e-5);
  EXPECT_NEAR(g.velocity[g.index(6, 2)], 60.f / 127.f, 1e-6);
}

TEST(GrooveTransfer, RefusesAPerformanceWithoutDrumsAndAFeelOnAnotherGrid) {
  try {
    transfer_groove(swung_hats(0.0), performance({}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("performance"), std::string::npos);
  }
  GrooveSteps other = encode_groove(swung_hats(0.0));
  other.qpm = 90;
  EXPECT_THROW(apply_groove(swung_hats(0.0), other), Error);
}
