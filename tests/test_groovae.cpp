// GrooVAE: a small humanize model and a small drumify model trained on a synthetic drummer who
// swings the hi-hat and lays back the snare; what they learned, their files and their errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "render/live_drummer.h"
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
  static const GrooveModel m = GrooveModel::load(
      test::trained_once("humanize-small", [](const std::string& out) { train_groove(small("humanize", out)); }));
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

namespace {

const GrooveModel& shipped_drumify() {
  static const GrooveModel model = GrooveModel::load(std::string(TIMBREL_SOURCE_DIR) + "/models/groove-drumify");
  return model;
}

struct Heard {
  double time = 0, asked_at = 0;
  int pitch = 0, velocity = 0;
};

// A player tapping key 60 at `taps` (s) while the drummer is polled every 5 ms, as play_live's loop
// does, from `from` to `to`: each tap is played before the first poll at or after its time.
std::vector<Heard> play(LiveDrummer& drummer, const std::vector<double>& taps, double from, double to) {
  std::vector<Heard> heard;
  size_t next = 0;
  for (double t = from; t < to; t += 0.005) {
    for (; next < taps.size() && taps[next] <= t; ++next) EXPECT_TRUE(drummer.note_on(60, 100, taps[next]));
    for (const auto& e : drummer.due(t)) heard.push_back({e.time, t, e.pitch, e.velocity});
  }
  return heard;
}

// The note-ons heard whose onset lies within 1 ms of `time`.
int hits_at(const std::vector<Heard>& heard, double time) {
  int n = 0;
  for (const Heard& h : heard) n += h.velocity > 0 && std::abs(h.time - time) < 1e-3;
  return n;
}

}  // namespace

// play --live --tap: each tapped bar comes back as a beat through the next bar, a hit on every tap
// at its place in the bar (an early downbeat tap early too); an untapped bar rests, and after two
// the next tap is a new downbeat, even one that comes just as the second rest is taken.
TEST(LiveDrummer, AnswersEachTappedBarWithABeatInTheNextBar) {
  LiveDrummer::Options o;
  o.qpm = 120;  // bars of 2 s, sixteenths of 0.125 s
  o.tap_key = 60;
  LiveDrummer drummer(shipped_drumify(), o);
  const double t0 = 50.0, step = 0.125;
  const std::vector<double> bar0 = {0, 4, 6, 8, 12, 14}, bar1 = {-0.24, 4.2, 8.2, 10.2, 12.2};  // steps; bar 1's downbeat early
  std::vector<double> taps;
  for (double s : bar0) taps.push_back(t0 + s * step);
  for (double s : bar1) taps.push_back(t0 + 2 + s * step);
  EXPECT_FALSE(drummer.note_on(62, 100, t0 - 1));  // not the tap key
  std::vector<Heard> heard = play(drummer, taps, t0 - 0.5, t0 + 7.935);
  EXPECT_EQ(drummer.beats(), 2u);
  std::set<int> drums;
  for (const Heard& h : heard) {
    EXPECT_LE(h.time, h.asked_at + 1e-9);
    EXPECT_LT(h.asked_at - h.time, 0.0051) << "heard late at " << h.time - t0;
    EXPECT_GE(h.time, t0 + 2 - step / 2) << "bar 0 is still being tapped";
    EXPECT_LT(h.time, t0 + 6 - step / 2) << "bar 2 was not tapped: bar 3 rests";
    if (h.velocity > 0) drums.insert(h.pitch);
  }
  for (double s : bar0) EXPECT_GE(hits_at(heard, t0 + 2 + s * step), 1) << "bar 0, step " << s;
  for (double s : bar1) EXPECT_GE(hits_at(heard, t0 + 4 + s * step), 1) << "bar 1, step " << s;
  EXPECT_GE(drums.size(), 2u) << "a beat, not the taps echoed";

  // Bars 2 and 3 untapped; bar 3 is taken at t0 + 7.9375, and a tap at 7.938 reaches the drummer
  // before the poll that takes it: a new downbeat, not a tap of bar 3.
  const double again = t0 + 7.938;
  const std::vector<Heard> next = play(drummer, {again, again + 8 * step}, t0 + 7.94, again + 5);
  EXPECT_EQ(drummer.beats(), 3u);
  EXPECT_GE(hits_at(next, again + 2), 1);
  EXPECT_GE(hits_at(next, again + 2 + 8 * step), 1);
}

// A bar's beat comes from its taps; no taps give none (and no error). The model's time is printed
// beside the half sixteenth it has before the next bar's first hit (not asserted: a unit test).
TEST(LiveDrummer, ABarsBeatComesFromItsTapsAndNoTapsGiveNone) {
  LiveDrummer drummer(shipped_drumify(), {});
  LiveDrummer::Bar bar;
  bar.taps.tempos = {{0.0, 120.0}};
  for (int s : {16, 20, 22, 24, 28, 30}) {
    Note n;
    n.pitch = 60, n.velocity = 100, n.start_time = 0.125 * s, n.end_time = n.start_time + 0.05;
    bar.taps.notes.push_back(n);
  }
  double worst = 0;
  for (int k = 0; k < 5; ++k) {
    const auto t = std::chrono::steady_clock::now();
    EXPECT_FALSE(drummer.beat_for(bar).empty());
    worst = std::max(worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
  }
  std::printf("a bar's beat: %.1f ms at worst of 5 (half a sixteenth: 62.5 ms at 120 qpm, 31 ms at 240)\n", 1e3 * worst);
  EXPECT_TRUE(drummer.beat_for(LiveDrummer::Bar{}).empty());  // no taps, no beat (and no error)
}

TEST(LiveDrummer, ErrorsNameTheParameter) {
  const GrooveModel humanize_model = GrooveModel::load(std::string(TIMBREL_SOURCE_DIR) + "/models/groove-humanize");
  EXPECT_THROW(
      try { LiveDrummer(humanize_model, {}); } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tap_model"), std::string::npos) << e.what();
        throw;
      },
      Error);
  LiveDrummer::Options o;
  o.qpm = 10;
  EXPECT_THROW(LiveDrummer(shipped_drumify(), o), Error);
  o.qpm = 120;
  o.tap_key = 128;
  EXPECT_THROW(LiveDrummer(shipped_drumify(), o), Error);
  o.tap_key = -1;
  o.groove.hit_threshold = 1.5;
  EXPECT_THROW(LiveDrummer(shipped_drumify(), o), Error);
}

namespace {

// Onset times (s) that aubioonset (independent of Timbrel) finds in a sound file.
std::vector<double> aubio_onsets(const std::string& path) {
  std::string out;
  EXPECT_EQ(test::run_command("aubioonset -i '" + path + "' -O hfc -B 512 -H 64 -M 0.03 -T seconds", &out), 0);
  std::vector<double> onsets;
  std::istringstream lines(out);
  for (double t; lines >> t;) onsets.push_back(t);
  return onsets;
}

double nearest(const std::vector<double>& times, double t) {
  double best = 1e9;
  for (double x : times)
    if (std::abs(x - t) < std::abs(best - t)) best = x;
  return best;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

}  // namespace

// Issue 37's goal for `generate --drums`: the groove is heard. The drum part of generated songs is
// rendered by `timbrel render`; aubioonset finds the hits in the audio, and each hit's place is
// compared with the MIDI note it renders (less the detector's constant delay): within 5 ms, while
// the MIDI's own hits stray from the sixteenth grid by far more.
TEST(GrooveRender, RenderedDrumOnsetsLieWhereTheMidiPutsThem) {
  if (test::run_command("command -v aubioonset > /dev/null 2>&1", nullptr) != 0) GTEST_SKIP() << "no aubioonset (apt install aubio-tools)";
  const std::string dir = temp_dir() + "/groove-render", cli = std::string(TIMBREL_BINARY);
  const std::string models = std::string(TIMBREL_SOURCE_DIR) + "/models/";
  std::filesystem::create_directories(dir);
  std::vector<double> error, off_grid;
  for (int seed : {1, 2, 3}) {
    const std::string song = dir + "/song" + std::to_string(seed), drums = dir + "/drums" + std::to_string(seed);
    ASSERT_EQ(test::run_command(cli + " generate --drums --bars 8 --dry --seed " + std::to_string(seed) + " --melody-model " + models +
                                    "melody-2bar --groove-model " + models + "drums-2bar --humanize-model " + models + "groove-humanize --model " +
                                    models + "gm-timbres -o " + song + ".wav > /dev/null 2>&1",
                                nullptr),
              0);
    // The loudest drum note of each sixteenth alone: one onset a step, so each heard onset has one
    // note to answer to (a step's several notes, spread around it, would make near matches easy).
    NoteSequence part = read_midi(song + ".mid");
    const double step = 60.0 / part.tempos.front().qpm / 4;
    std::map<long, Note> loudest;
    for (const Note& n : part.notes)
      if (n.is_drum) {
        Note& kept = loudest.try_emplace(std::lround(n.start_time / step), n).first->second;
        if (n.velocity > kept.velocity) kept = n;
      }
    part.notes.clear();
    for (const auto& [k, n] : loudest) part.notes.push_back(n);
    ASSERT_GE(part.notes.size(), 16u);
    write_midi(part, drums + ".mid");
    ASSERT_EQ(test::run_command(cli + " render " + drums + ".mid --dry --drum-model " + models + "gm-drums -o " + drums + ".wav > /dev/null 2>&1", nullptr), 0);
    std::vector<double> midi;
    for (const Note& n : part.notes) midi.push_back(n.start_time);
    const std::vector<double> heard = aubio_onsets(drums + ".wav");
    ASSERT_GE(double(heard.size()), 0.7 * double(midi.size())) << "seed " << seed;
    std::vector<double> delay;
    for (double a : heard) delay.push_back(a - nearest(midi, a));
    const double detector = percentile(delay, 0.5);  // aubio's and the attack's constant delay
    for (double a : heard) {
      const double m = nearest(midi, a - detector);
      error.push_back(std::abs(a - detector - m));
      off_grid.push_back(std::abs(m - std::round(m / step) * step));
    }
  }
  std::printf("%zu rendered onsets: |audio - MIDI| median %.2f ms, 90th percentile %.2f ms, worst %.2f ms; "
              "the MIDI's hits off the grid: median %.2f ms, 90th percentile %.2f ms\n",
              error.size(), 1e3 * percentile(error, 0.5), 1e3 * percentile(error, 0.9), 1e3 * percentile(error, 1.0),
              1e3 * percentile(off_grid, 0.5), 1e3 * percentile(off_grid, 0.9));
  EXPECT_LT(percentile(error, 0.9), 0.005);
  EXPECT_GT(percentile(off_grid, 0.5), 2 * percentile(error, 0.5));
}
