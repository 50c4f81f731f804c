// GrooVAE: a small humanize model and a small drumify model trained on a synthetic drummer who
// swings the hi-hat and lays back the snare; what they learned, their files and their errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "timbrel/evaluate.h"
#include "timbrel/error.h"
#include "timbrel/groove.h"
#include "timbrel/music.h"
#include "timbrel/train.h"

using namespace timbrel;
using timbrel::test::temp_dir;
namespace test = timbrel::test;

namespace {

constexpr double kQpm = 120, kStep = 60.0 / kQpm / 4;
constexpr double kSwing = 0.3, kLayBack = 0.15;  // steps

Note drum(int pitch, double step, int velocity) {
  Note n;
  n.pitch = pitch, n.start_time = step * kStep, n.end_time = n.start_time + kStep, n.velocity = velocity, n.is_drum = true, n.channel = 9;
  return n;
}

// 4 bars: eighth hats (off-beats late by kSwing, softer), kick on 1 and 3 (and a random extra),
// snare on 2 and 4 late by kLayBack; `played` false: all on the grid at velocity 100.
NoteSequence beat(unsigned seed, bool played) {
  std::mt19937 rng(seed);
  NoteSequence s;
  s.tempos = {{0.0, kQpm}};
  for (int step = 0; step < 64; step += 2) {
    const bool off = step % 4 == 2;
    s.add_note(drum(42, step + (played && off ? kSwing : 0.0), played ? (off ? 50 : 105) : 100));
    if (step % 8 == 0) s.add_note(drum(36, step, played ? 115 : 100));
    if (step % 8 == 4) s.add_note(drum(38, step + (played ? kLayBack : 0.0), played ? 120 : 100));
    if (step % 16 == 10 && rng() % 2) s.add_note(drum(36, step, played ? 90 : 100));
  }
  std::sort(s.notes.begin(), s.notes.end(), [](const Note& a, const Note& b) { return a.start_time < b.start_time; });
  return s;
}

std::string corpus() {
  static const std::string dir = [] {
    const std::string d = temp_dir() + "/swing-drummer";
    std::filesystem::create_directories(d);
    for (unsigned i = 0; i < 24; ++i) write_midi(beat(i, true), d + "/take" + std::to_string(i) + ".mid");
    return d;
  }();
  return dir;
}

GrooveTrainOptions small(const std::string& task, const std::string& out) {
  GrooveTrainOptions o;
  o.task = task, o.data_dirs = {corpus()}, o.out_dir = out;
  o.z_size = 8, o.encoder_units = 32, o.decoder_units = 48, o.decoder_layers = 1;
  o.batch = 32, o.max_steps = 400, o.learning_rate = 3e-3, o.checkpoint_every = 1000, o.validation_fraction = 0.2;
  return o;
}

const GrooveModel& humanizer() {
  static const GrooveModel m = [] {
    const std::string out = temp_dir() + "/humanize-small";
    train_groove(small("humanize", out));
    return GrooveModel::load(out);
  }();
  return m;
}

// Mean offset (steps) and velocity of the hits of `pitch` on steps with step % 4 == phase.
std::pair<double, double> feel_at(const NoteSequence& s, int pitch, int phase, int period = 4) {
  double offset = 0, velocity = 0, n = 0;
  for (const Note& note : s.notes) {
    const double x = note.start_time / kStep;
    const int step = int(std::lround(x));
    if (note.pitch != pitch || step % period != phase) continue;
    offset += x - step, velocity += note.velocity, n += 1;
  }
  return {offset / n, velocity / n};
}

}  // namespace

TEST(GrooVae, HumanizeLearnsTheDrummersSwingLayBackAndAccents) {
  const NoteSequence played = humanize(humanizer(), beat(99, false), GrooveOptions{});
  ASSERT_EQ(played.notes.size(), beat(99, false).notes.size());
  const auto [off_offset, off_velocity] = feel_at(played, 42, 2);
  const auto [on_offset, on_velocity] = feel_at(played, 42, 0);
  EXPECT_NEAR(off_offset, kSwing, 0.08);
  EXPECT_NEAR(on_offset, 0.0, 0.08);
  EXPECT_NEAR(off_velocity, 50, 12);
  EXPECT_NEAR(on_velocity, 105, 12);
  EXPECT_NEAR(feel_at(played, 38, 4, 8).first, kLayBack, 0.08);
}

TEST(GrooVae, AModelFolderPlaysTheSameAfterLoadingAndASeedRepeats) {
  const std::string dir = temp_dir() + "/humanize-copy";
  humanizer().save(dir);
  const GrooveModel again = GrooveModel::load(dir);
  GrooveOptions o;
  o.seed = 5;
  const GrooveSteps in = encode_groove(beat(3, false));
  const GrooveSteps a = humanizer().perform(in, o), b = again.perform(in, o);
  EXPECT_EQ(a.offset, b.offset);
  EXPECT_EQ(a.velocity, b.velocity);
  EXPECT_EQ(a.hit, in.hit);  // humanize keeps the hits
  o.seed = 6;
  EXPECT_NE(humanizer().perform(in, o).offset, a.offset);
}

TEST(GrooVae, DrumifyKeepsEveryTapAtItsOnset) {
  const std::string out = temp_dir() + "/drumify-small";
  train_groove(small("drumify", out));
  const GrooveModel model = GrooveModel::load(out);
  NoteSequence taps;
  taps.tempos = {{0.0, kQpm}};
  for (int step : {0, 4, 6, 8, 12, 14, 16, 20, 24, 28}) {
    Note n = drum(60, step + 0.1, 90);
    n.is_drum = false;
    taps.add_note(n);
  }
  const GrooveSteps result = encode_groove(drumify(model, taps));
  for (int step : {0, 4, 6, 8, 12, 14, 16, 20, 24, 28}) {
    int hits = 0;
    for (int c = 0; c < GrooveSteps::kClasses; ++c)
      if (result.hit[result.index(step, c)] > 0.5f) {
        ++hits;
        EXPECT_NEAR(result.offset[result.index(step, c)], 0.1, 1e-3) << "step " << step;
      }
    EXPECT_GE(hits, 1) << "step " << step;
  }
}

TEST(GrooVae, ErrorsNameWhatIsWrong) {
  NoteSequence melody;
  melody.tempos = {{0.0, kQpm}};
  Note n = drum(60, 0, 90);
  n.is_drum = false;
  melody.add_note(n);
  try {
    humanize(humanizer(), melody);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("beat"), std::string::npos) << e.what();
  }
  try {
    drumify(humanizer(), melody);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("humanize model"), std::string::npos) << e.what();
  }
  GrooveTrainOptions o = small("humanize", temp_dir() + "/never");
  o.task = "groove";
  EXPECT_THROW(train_groove(o), Error);
  EXPECT_THROW(GrooveModel::load(corpus()), Error);
}

TEST(GrooVae, TrainingResumesFromItsCheckpoint) {
  GrooveTrainOptions o = small("humanize", temp_dir() + "/resumed");
  o.max_steps = 20, o.checkpoint_every = 10;
  EXPECT_EQ(train_groove(o).steps, 20);
  std::string log;
  o.log = [&](const std::string& line) { log += line + "\n"; };
  o.resume = true, o.max_steps = 30;
  EXPECT_EQ(train_groove(o).steps, 30);
  EXPECT_NE(log.find("resuming from " + o.out_dir + "/checkpoint at step 20"), std::string::npos) << log;
}

// The shipped models on Groove MIDI's test split, at the figures their cards report.
TEST(ShippedGroove, HumanizeAndDrumifyBeatTheirBaselinesOnTheTestSplit) {
  const std::string data = test::shared_dir() + "/data/drums/groove";
  if (test::shared_dir().empty() || !std::filesystem::exists(data + "/info.csv")) GTEST_SKIP() << "no ../shared/data/drums/groove";
  GrooveEvalOptions o;
  o.data = data;
  o.model = std::string(TIMBREL_SOURCE_DIR) + "/models/groove-humanize";
  const nlohmann::json h = nlohmann::json::parse(evaluate_groove(o));
  EXPECT_EQ(h["performances"], 129);
  EXPECT_GE(h["error_reduction_vs_better_baseline"]["velocity"].get<double>(), 0.20);  // measured 0.216
  EXPECT_GT(h["error_reduction_vs_better_baseline"]["offset"].get<double>(), 0.02);    // measured 0.043 (the goal, 0.20, is not met)
  for (const auto& c : h["feel"]["per_class_spread"])  // measured 0.52 (mid tom) to 0.83 of the drummers'
    EXPECT_GE(c["velocity_std"]["model"].get<double>(), 0.45 * c["velocity_std"]["data"].get<double>()) << c["class"];
  o.task = "drumify";
  o.model = std::string(TIMBREL_SOURCE_DIR) + "/models/groove-drumify";
  o.baseline_model = std::string(TIMBREL_SOURCE_DIR) + "/models/drums-2bar";
  const nlohmann::json d = nlohmann::json::parse(evaluate_groove(o));
  EXPECT_GE(d["model_f1"].get<double>(), 0.50);  // measured 0.538
  EXPECT_GT(d["model_f1"].get<double>(), d["baseline_drums_2bar_f1"].get<double>());
  EXPECT_EQ(d["tapped_steps_kept"].get<double>(), 1.0);  // by construction (perform() keeps them), checked end to end
}
