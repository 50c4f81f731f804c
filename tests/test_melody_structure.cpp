// Structure measures of melodies, on a hand-made tune whose repeats are known.
#include <gtest/gtest.h>

#include <optional>

#include "timbrel/music.h"
#include "train/melody_structure.h"

using namespace timbrel;

namespace {

// Four bars at 120 qpm (sixteenths of 0.125 s): bar 2 is bar 1 a tone up (a melody repeat),
// bar 3 has bar 1's rhythm with other intervals (a rhythm repeat), bar 4 something else.
NoteSequence known_tune() {
  std::vector<int> events(64, kMelodyNoEvent);
  const int bar1[4] = {60, 62, 64, 65}, bar3[4] = {67, 60, 72, 59};
  for (int i = 0; i < 4; ++i) {
    events[size_t(4 * i)] = bar1[i];
    events[size_t(16 + 4 * i)] = bar1[i] + 2;
    events[size_t(32 + 4 * i)] = bar3[i];
  }
  events[48] = 64, events[56] = 62;
  return melody_to_sequence(events);
}

TEST(MelodyStructure, CountsRepeatsKeyAndIntervals) {
  const auto s = melody_structure({known_tune()}, 4);
  EXPECT_EQ(s.pieces, 1u);
  EXPECT_EQ(s.bars, 4u);
  EXPECT_DOUBLE_EQ(s.melody_repeat, 0.25);
  EXPECT_DOUBLE_EQ(s.rhythm_repeat, 0.5);
  EXPECT_DOUBLE_EQ(s.notes_per_bar, 14.0 / 4);
  EXPECT_DOUBLE_EQ(s.bars_without_onset, 0.0);
  EXPECT_DOUBLE_EQ(s.pitch_range, 72.0 - 59.0);
  EXPECT_DOUBLE_EQ(melody_structure({known_tune()}, 2).pitch_range, 67.0 - 60.0);  // the first two bars only
  // Over 6 bars the two bars after the tune start no note.
  const auto six = melody_structure({known_tune()}, 6);
  EXPECT_EQ(six.bars, 4u);
  EXPECT_DOUBLE_EQ(six.bars_without_onset, 2.0 / 6);
  EXPECT_DOUBLE_EQ(six.notes_per_bar, 14.0 / 4);
  // Bar 2 is D E F# G: 13 of the 14 notes are in C major (G major holds 13 too, all but the F;
  // the tie goes to the first tonic counted, C).
  EXPECT_NEAR(s.in_key, 13.0 / 14, 1e-12);
  // Intervals 2 2 1 -3 | 2 2 1 0 | -7 12 -13(clamped to -12) 5 | -2: four whole tones up of 13.
  EXPECT_NEAR(s.intervals[12 + 2], 4.0 / 13, 1e-12);
  EXPECT_NEAR(s.intervals[0], 1.0 / 13, 1e-12);
  double sum = 0;
  for (double v : s.pitch_classes) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(histogram_distance(s.intervals, s.intervals), 0.0);
  const auto none = melody_structure({}, 4);
  EXPECT_EQ(none.bars, 0u);
}

}  // namespace

#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "timbrel/engine.h"

namespace {

TEST(MelodyStructureCli, SamplesBesideTheData) {
  const std::string dir = test::temp_dir() + "/tunes", model = std::string(TIMBREL_SOURCE_DIR) + "/models/melody-2bar";
  std::filesystem::create_directories(dir);
  NoteSequence late = known_tune();  // after two empty bars (an intro): its bars count from its first note's
  for (Note& n : late.notes) n.start_time += 4.0, n.end_time += 4.0;
  late.total_time += 4.0;
  write_midi(late, dir + "/known.mid");
  std::string out;
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " eval structure --model " + model + " --data " + dir +
                                  " --bars 4 --samples 2 --json",
                              &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["data"]["pieces"], 1);
  EXPECT_DOUBLE_EQ(j["data"]["melody_repeat"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["data"]["pitch_range"].get<double>(), 13.0);
  EXPECT_EQ(j["samples"]["pieces"], 2);
  // The distances of the songs the Engine composes for seeds 0 and 1 (as generate) to the tune.
  EngineOptions p;
  p.melody_model = model;
  Engine engine(p);
  std::vector<NoteSequence> songs;
  for (uint64_t seed : {0, 1}) {
    SongOptions r;
    r.bars = 4;
    r.seed = seed;
    r.temperature = 0.5;
    songs.push_back(engine.compose(r));
  }
  const auto gen = melody_structure(songs, 4), data = melody_structure({known_tune()}, 4);  // the file from its first note
  EXPECT_DOUBLE_EQ(j["samples"]["notes_per_bar"].get<double>(), gen.notes_per_bar);
  EXPECT_DOUBLE_EQ(j["pitch_class_distance"].get<double>(), histogram_distance(gen.pitch_classes, data.pitch_classes));
  EXPECT_DOUBLE_EQ(j["interval_distance"].get<double>(), histogram_distance(gen.intervals, data.intervals));
  EXPECT_GT(j["interval_distance"].get<double>(), 0.0);  // sampled songs do not move as this one tune
  EXPECT_NE(test::run_command(std::string(TIMBREL_BINARY) + " eval structure --data " + dir + " --bars 3 --samples 1", &out, true), 0);
  EXPECT_NE(out.find("--bars 3"), std::string::npos) << out;
}

// The shipped 16-bar model as `generate --melody-model models/melody-16bar` plays it (20 seeds,
// sampled as its card advises): its songs make phrases (the goals: a tenth of bars repeat an earlier
// bar's melody, three tenths its rhythm; a 2-bar chain repeats ~2% and ~35%), and nearly every bar
// starts a note, as in the tunes it learned from (a run that learned the windows' padding past
// each tune's end left a third of its bars without one), with about as many notes as the tunes.
TEST(MelodyStructureShipped, SixteenBarSongsMakePhrases) {
  EngineOptions p;
  p.melody_model = std::string(TIMBREL_SOURCE_DIR) + "/models/melody-16bar";
  Engine engine(p);
  auto songs_drawn = [&](std::optional<StepDraw> draw, double temperature) {
    std::vector<NoteSequence> songs;
    for (uint64_t seed = 0; seed < 20; ++seed) {
      SongOptions r;
      r.bars = 16;
      r.seed = seed;
      r.draw = draw;
      r.temperature = temperature;
      songs.push_back(engine.compose(r));
    }
    return melody_structure(songs, 16);
  };
  // As its card advises (per decision, 0.4); the three-corpus model of 2026-12-07 measured 0.120,
  // 0.495, 0.034, 4.72, 0.993, 11.9.
  const auto s = songs_drawn(std::nullopt, -1);
  EXPECT_EQ(s.pieces, 20u);
  EXPECT_GE(s.melody_repeat, 0.10);
  EXPECT_GE(s.rhythm_repeat, 0.45);
  EXPECT_LE(s.bars_without_onset, 0.05);  // the tunes: 0 (Nottingham), 0.030 (POP909), 0.034 (OpenEWLD); learned padding: 0.35
  EXPECT_GE(s.notes_per_bar, 3.5);        // the tunes: 3.5 (OpenEWLD) to 5.7 (POP909)
  EXPECT_GE(s.in_key, 0.95);
  EXPECT_GE(s.pitch_range, 11.0);         // within 25% of Nottingham's 14.7
  // Magenta's flat draw at 0.5 thins the same songs out (measured 3.99 notes a bar, 0.091 of bars silent).
  const auto flat = songs_drawn(StepDraw::Flat, 0.5);
  EXPECT_LT(flat.notes_per_bar, s.notes_per_bar - 0.4);
  EXPECT_GT(flat.bars_without_onset, 2 * s.bars_without_onset);
}

}  // namespace
