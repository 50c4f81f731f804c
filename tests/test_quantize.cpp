// Quantization and melody extraction, checked against hand-worked Magenta behaviour.
#include <gtest/gtest.h>

#include "timbrel/error.h"
#include "timbrel/music.h"

using namespace timbrel;

namespace {

constexpr int O = kMelodyNoteOff, H = kMelodyNoEvent;

Note note(int pitch, double start, double end, int instrument = 0) {
  Note n;
  n.pitch = pitch;
  n.start_time = start;
  n.end_time = end;
  n.instrument = instrument;
  return n;
}

TEST(Quantize, RoundsToNearestSixteenthAt120Qpm) {
  NoteSequence seq;
  seq.tempos = {{0.0, 120.0}};  // a sixteenth = 0.125 s
  seq.notes = {note(60, 0.0, 0.5), note(62, 0.51, 0.74), note(64, 0.9374, 0.9376), note(65, 1.0, 1.0)};
  NoteSequence q = quantize(seq, 4);
  EXPECT_EQ(q.steps_per_quarter, 4);
  EXPECT_EQ(q.notes[0].quantized_start_step, 0);
  EXPECT_EQ(q.notes[0].quantized_end_step, 4);
  EXPECT_EQ(q.notes[1].quantized_start_step, 4);   // 4.08 steps
  EXPECT_EQ(q.notes[1].quantized_end_step, 6);     // 5.92 steps
  EXPECT_EQ(q.notes[2].quantized_start_step, 7);   // 7.4992 -> 7
  EXPECT_EQ(q.notes[2].quantized_end_step, 8);     // 7.5008 -> 8
  EXPECT_EQ(q.notes[3].quantized_start_step, 8);   // zero length -> one step
  EXPECT_EQ(q.notes[3].quantized_end_step, 9);
  EXPECT_EQ(q.total_quantized_steps, 9);
}

TEST(Quantize, FollowsTempoChanges) {
  NoteSequence seq;
  seq.tempos = {{0.0, 120.0}, {1.0, 60.0}};  // 2 quarters in the first second, then 1 per second
  seq.notes = {note(60, 0.5, 1.0), note(62, 1.0, 2.0), note(64, 2.25, 3.0)};
  NoteSequence q = quantize(seq, 4);
  EXPECT_EQ(q.notes[0].quantized_start_step, 4);
  EXPECT_EQ(q.notes[0].quantized_end_step, 8);
  EXPECT_EQ(q.notes[1].quantized_start_step, 8);
  EXPECT_EQ(q.notes[1].quantized_end_step, 12);
  EXPECT_EQ(q.notes[2].quantized_start_step, 13);
  EXPECT_EQ(q.notes[2].quantized_end_step, 16);
}

TEST(Quantize, RejectsInvalidTimes) {
  NoteSequence seq;
  seq.notes = {note(60, 1.0, 0.5)};
  EXPECT_THROW(quantize(seq), Error);
  seq.notes = {note(60, 0.0, 0.5)};
  seq.tempos = {{0.0, 0.0}};
  EXPECT_THROW(quantize(seq), Error);
}

TEST(Melody, HighestOnsetWinsAndLaterOnsetCuts) {
  NoteSequence seq;
  seq.tempos = {{0.0, 120.0}};
  // Steps: 60 [0,4) with 55 also at 0 (lower: dropped); 67 [2,6) cuts 60; 64 [8,10).
  seq.notes = {note(55, 0.0, 1.0), note(60, 0.0, 0.5), note(67, 0.25, 0.75), note(64, 1.0, 1.25)};
  NoteSequence q = quantize(seq, 4);
  std::vector<int> m = extract_melody(q);
  std::vector<int> want = {60, H, 67, H, H, H, O, H, 64, H, O};
  EXPECT_EQ(m, want);
}

TEST(Melody, IgnoresDrumsAndSelectsInstrument) {
  NoteSequence seq;
  Note d = note(36, 0.0, 0.5);
  d.is_drum = true;
  seq.notes = {d, note(60, 0.0, 0.25, 1), note(72, 0.0, 0.25, 2)};
  NoteSequence q = quantize(seq, 4);
  EXPECT_EQ(extract_melody(q), (std::vector<int>{72, H, O}));
  EXPECT_EQ(extract_melody(q, 1), (std::vector<int>{60, H, O}));
  EXPECT_THROW(extract_melody(seq), Error);  // not quantized
}

TEST(Melody, SplitsIntoWindowsAndRestrikesHeldNotes) {
  std::vector<int> m(40, H);
  m[0] = 60;
  m[20] = O;
  m[30] = 62;
  m[34] = O;
  auto w = split_melody(m, 32, 16);
  ASSERT_EQ(w.size(), 3u);  // windows at 0, 16 and 32
  EXPECT_EQ(w[0].size(), 32u);
  EXPECT_EQ(w[0][0], 60);
  EXPECT_EQ(w[0][20], O);
  EXPECT_EQ(w[0][30], 62);
  EXPECT_EQ(w[1][0], 60);  // 60 still sounds at step 16
  EXPECT_EQ(w[1][4], O);
  EXPECT_EQ(w[1][14], 62);
  EXPECT_EQ(w[1][18], O);
  EXPECT_EQ(w[1][31], H);
  EXPECT_EQ(w[2][0], 62);  // re-struck: 62 sounds across step 32
  EXPECT_EQ(w[2][2], O);
  EXPECT_EQ(w[2][31], H);  // padded past the end
  m[30] = H;
  m[34] = H;
  EXPECT_EQ(split_melody(m, 32, 16).size(), 2u);  // nothing sounds in the window at 32
}

TEST(Melody, WholeWindowsEndWithinTheMelody) {
  std::vector<int> m(48, H);
  for (size_t i = 0; i < m.size(); i += 8) m[i] = 60 + int(i / 8);
  EXPECT_EQ(split_melody(m, 32, 16).size(), 3u);        // 0, 16 and 32 (padded)
  auto whole = split_melody(m, 32, 16, true);
  ASSERT_EQ(whole.size(), 2u);                          // 0 and 16
  EXPECT_EQ(whole[1][0], 62);
  EXPECT_EQ(whole[1][31], H);
  EXPECT_TRUE(split_melody(std::vector<int>(20, H), 32, 16, true).empty());  // shorter than a window
}

TEST(Melody, EventsToSequenceAndBack) {
  std::vector<int> events = {60, H, H, O, 62, 64, H, H};
  NoteSequence seq = melody_to_sequence(events, 120.0, 4);
  ASSERT_EQ(seq.notes.size(), 3u);
  EXPECT_DOUBLE_EQ(seq.notes[0].end_time, 3 * 0.125);
  EXPECT_EQ(seq.notes[1].quantized_start_step, 4);
  EXPECT_EQ(seq.notes[1].quantized_end_step, 5);
  EXPECT_EQ(seq.notes[2].quantized_end_step, 8);  // last note runs to the end
  EXPECT_DOUBLE_EQ(seq.total_time, 1.0);
  NoteSequence q = quantize(seq, 4);
  std::vector<int> back = extract_melody(q);
  EXPECT_EQ(back, (std::vector<int>{60, H, H, O, 62, 64, H, H, O}));
  EXPECT_THROW(melody_to_sequence({-7}), Error);
}

}  // namespace
