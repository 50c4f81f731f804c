// timbrel/harmony.h: key and meter estimates, the harmoniser (bundled model, training on a user's
// folder, save/load) and the rule baseline; held-out accuracy on the corpora when they are here.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/harmony.h"
#include "timbrel/music.h"

using namespace timbrel;
using timbrel::test::shared_dir;
using timbrel::test::temp_dir;

namespace {

const std::string kSource = std::string(TIMBREL_TEST_DATA_DIR) + "/../..";  // the source tree (tests/data/../..)
const std::string kBundled = kSource + "/models/harmonizer";

NoteSequence twinkle(int transpose = 0) {
  NoteSequence s = read_midi(kSource + "/samples/twinkle.mid");
  std::vector<Note> melody;
  for (Note n : s.notes)
    if (!n.is_drum) n.pitch += transpose, melody.push_back(n);
  s.notes = melody;
  return s;
}

std::vector<std::string> symbols(const std::vector<ChordSpan>& chords) {
  std::vector<std::string> out;
  for (const ChordSpan& c : chords) out.push_back(c.symbol);
  return out;
}

NoteSequence line(const std::vector<int>& pitches, double beat_seconds = 0.5) {
  NoteSequence s;
  for (size_t i = 0; i < pitches.size(); ++i) {
    Note n;
    n.pitch = pitches[i], n.start_time = double(i) * beat_seconds, n.end_time = double(i + 1) * beat_seconds;
    s.add_note(n);
  }
  return s;
}

TEST(Harmony, KeysOfScalesAndTunes) {
  EXPECT_EQ(key_name(estimate_key(line({60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60}))), "C major");
  EXPECT_EQ(key_name(estimate_key(line({69, 71, 72, 74, 76, 77, 80, 81, 76, 72, 69}))), "A minor");
  EXPECT_EQ(key_name(estimate_key(twinkle(7))), "G major");
}

TEST(Harmony, TwinkleGetsTheTextbookChordsInEveryKey) {
  const Harmonizer h = Harmonizer::load(kBundled);
  EXPECT_EQ(symbols(h.harmonize(twinkle())), (std::vector<std::string>{"C", "F", "C", "F", "C", "G", "C"}));
  EXPECT_EQ(symbols(h.harmonize(twinkle(7))), (std::vector<std::string>{"G", "C", "G", "C", "G", "D", "G"}));
  EXPECT_EQ(symbols(h.harmonize(twinkle(-3))), (std::vector<std::string>{"A", "D", "A", "D", "A", "E", "A"}));
  EXPECT_EQ(symbols(harmonize_by_rule(twinkle())), (std::vector<std::string>{"C"}));  // every bar a tie that I wins
}

TEST(Harmony, BadMelodiesAndModelsAreClearErrors) {
  const Harmonizer h = Harmonizer::load(kBundled);
  auto error_of = [&](const NoteSequence& melody) {
    try {
      h.harmonize(melody);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(NoteSequence{}).find("no pitched notes"), std::string::npos);
  NoteSequence low = line({60, 62});
  low.notes[1].pitch = -1;
  EXPECT_NE(error_of(low).find("pitch -1"), std::string::npos);
  NoteSequence endless = line({60});
  endless.total_time = 1e9;
  EXPECT_NE(error_of(endless).find("at most"), std::string::npos);
  NoteSequence odd = line({60, 64, 67, 72, 67, 64, 60});
  odd.time_signatures = {{0.0, 7, 8}};
  EXPECT_EQ(estimate_meter(odd).beats_per_bar, 7);
  EXPECT_DOUBLE_EQ(estimate_meter(odd).beat_quarters, 0.5);
  EXPECT_FALSE(h.harmonize(odd).empty());
  HarmonyTraining none;
  none.data = {temp_dir()};
  EXPECT_THROW(Harmonizer::train(none), Error);  // no MIDI files at all
}

// A user's folder: melodies with chord text events (here twinkle in six keys), trained on, saved,
// loaded: the same chords come back.
TEST(Harmony, TrainsOnAFolderOfLeadSheetsAndRoundTrips) {
  const std::string scratch = temp_dir(), dir = scratch + "/songs";
  std::filesystem::create_directories(dir);
  const Harmonizer bundled = Harmonizer::load(kBundled);
  for (int t = 0; t < 12; t += 2) {
    NoteSequence s = twinkle(t);
    set_chords(s, bundled.harmonize(s));
    write_midi(s, dir + "/twinkle" + std::to_string(t) + ".mid");
  }
  HarmonyTraining o;
  o.data = {dir};
  o.validation_fraction = 0;
  const Harmonizer mine = Harmonizer::train(o);
  mine.save(scratch + "/mine");
  const Harmonizer back = Harmonizer::load(scratch + "/mine");
  EXPECT_EQ(symbols(back.harmonize(twinkle(5))), symbols(mine.harmonize(twinkle(5))));
  EXPECT_EQ(symbols(back.harmonize(twinkle(5))), (std::vector<std::string>{"F", "A#", "F", "A#", "F", "C", "F"}));
  EXPECT_EQ(back.evaluate(dir, false).model, 1.0);
  try {
    Harmonizer::load(scratch + "/nothing");
    ADD_FAILURE() << "loaded a missing folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.json"), std::string::npos) << e.what();
  }
}

// Regression floors of the bundled model on the corpora's held-out tunes (the issue's goal, 70% and
// 50% and 10 points above the rule, is not met yet: models/harmonizer/MODEL.md).
TEST(Harmony, HeldOutBeatsAgainstTheRuleBaseline) {
  const std::string data = shared_dir().empty() ? "" : shared_dir() + "/data/melodies";
  if (data.empty() || !std::filesystem::exists(data)) GTEST_SKIP() << "no ../shared/data/melodies";
  const Harmonizer h = Harmonizer::load(kBundled);
  const HarmonyScore folk = h.evaluate(data + "/nottingham/midi", true), standards = h.evaluate(data + "/openewld/midi", true);
  std::printf("held out: Nottingham %.3f (rule %.3f, %zu beats), OpenEWLD %.3f (rule %.3f, %zu beats)\n", folk.model, folk.baseline,
              folk.beats, standards.model, standards.baseline, standards.beats);
  EXPECT_GE(folk.model, 0.63);
  EXPECT_GE(folk.model, folk.baseline + 0.08);
  EXPECT_GE(standards.model, standards.baseline);
}

}  // namespace
