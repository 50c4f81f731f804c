// The Engine (include/timbrel/engine.h) on the bundled models, on the CPU: every stage reachable
// without the CLI, errors naming the parameter (never a flag), notes to the log handler only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>

#include "test_util.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const std::string kModels = std::string(TIMBREL_SOURCE_DIR) + "/models";

EngineOptions cpu_params(std::vector<std::string>* log = nullptr) {
  EngineOptions p;
  p.timbre_model = kModels + "/gm-timbres";
  p.drum_model = kModels + "/gm-drums";
  p.melody_model = kModels + "/melody-2bar";
  p.groove_model = kModels + "/drums-2bar";
  p.humanize_model = kModels + "/groove-humanize";
  p.device = Device::Cpu;
  p.threads = 2;
  if (log) p.log = [log](const std::string& m) { log->push_back(m); };
  return p;
}

double peak(const std::vector<float>& a) {
  double p = 0;
  for (float v : a) p = std::max(p, double(std::abs(v)));
  return p;
}

// What a listener hears of each note: pitch, onset, release, velocity.
std::vector<std::tuple<int, double, double, int>> heard(const NoteSequence& s) {
  std::vector<std::tuple<int, double, double, int>> out;
  for (const Note& n : s.notes) out.emplace_back(n.pitch, n.start_time, n.end_time, n.velocity);
  return out;
}

// The parameter an Error names (its subject's first word).
std::string parameter_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.subject().substr(0, e.subject().find(' '));
  }
  return "(no error)";
}

}  // namespace

TEST(Engine, ParsesDevicesAndPrecisionsAndNamesTheParameter) {
  EXPECT_EQ(parse_device("cuda"), Device::Cuda);
  EXPECT_EQ(parse_precision("bf16"), Precision::Bf16);
  EXPECT_EQ(to_string(Device::Auto), "auto");
  EXPECT_EQ(to_string(Precision::Tf32), "tf32");
  EXPECT_EQ(parameter_of([] { parse_device("gpu"); }), "device");
  EXPECT_EQ(parameter_of([] { parse_precision("fp16", "compute_precision"); }), "compute_precision");
}

TEST(Engine, ComposesSamplesAndInterpolatesMelodies) {
  Engine engine(cpu_params());
  EXPECT_EQ(engine.compute_name(), "cpu");
  SongOptions song;
  song.bars = 4;
  song.drums = true;
  const NoteSequence seq = engine.compose(song);
  EXPECT_TRUE(seq.has_drums());
  EXPECT_GT(seq.notes.size(), 4u);
  EXPECT_NEAR(seq.total_time, 8.0, 0.07);  // 4 bars at 120 qpm (a humanized last hit may land up to half a step late)
  EXPECT_TRUE(std::any_of(seq.notes.begin(), seq.notes.end(), [](const Note& n) {
    return n.is_drum && std::abs(n.start_time / 0.125 - std::round(n.start_time / 0.125)) > 0.02;  // played, off the grid
  }));
  song.humanize = false;
  for (const Note& n : engine.compose(song).notes)
    if (n.is_drum) EXPECT_NEAR(n.start_time / 0.125, std::round(n.start_time / 0.125), 1e-6);

  SampleOptions sample;
  sample.count = 3;
  std::vector<Tokens> windows;
  const NoteSequence three = engine.sample(sample, &windows);
  EXPECT_EQ(windows.size(), 3u);
  EXPECT_FALSE(three.notes.empty());
  EXPECT_EQ(heard(engine.sample(sample)), heard(three));  // same seed, same melody
  sample.seed = 1;
  EXPECT_NE(heard(engine.sample(sample)), heard(three));  // another seed, another melody

  InterpolateOptions between;
  between.steps = 3;
  const NoteSequence path = engine.interpolate(three, three, between);
  EXPECT_NEAR(path.total_time, 12.0, 0.01);  // 3 two-bar windows

  EXPECT_EQ(parameter_of([&] { song.bars = 3; engine.compose(song); }), "bars");
  EXPECT_EQ(parameter_of([&] { between.steps = 1; engine.interpolate(three, three, between); }), "steps");
  EXPECT_EQ(parameter_of([&] { between.steps = 3; between.window = 99; engine.interpolate(three, three, between); }), "window");
  EXPECT_EQ(parameter_of([&] { between.window = 0, between.refine_steps = -2; engine.interpolate(three, three, between); }), "refine_steps");
  EXPECT_EQ(parameter_of([&] { sample.z = std::vector<float>(5, 0.0f); engine.sample(sample); }), "z");
  EXPECT_EQ(parameter_of([&] { engine.interpolate(NoteSequence{}, three, InterpolateOptions{}); }), "sequence");  // "sequence a"
}

TEST(Engine, PlaysNotesAndSequencesWithTheTimbreModels) {
  std::vector<std::string> log;
  Engine engine(cpu_params(&log));
  NoteOptions request;
  request.pitch = 69;
  request.timbre = "program:40";
  const std::vector<float> violin = engine.note(request);
  ASSERT_EQ(violin.size(), size_t(kNoteSamples));
  EXPECT_GT(peak(violin), 0.05);
  request.velocity = 64;
  EXPECT_NEAR(peak(engine.note(request)), peak(violin) * 64 / 127, 1e-3);
  EXPECT_EQ(parameter_of([&] { request.velocity = 0; engine.note(request); }), "velocity");
  EXPECT_EQ(parameter_of([&] { request.velocity = 100; request.z = {1.0f, 2.0f}; engine.note(request); }), "z");
  EXPECT_EQ(parameter_of([&] { engine.spectrograms_to_audio(std::vector<float>(7)); }), "spectrograms");

  NoteSequence seq;
  seq.notes.push_back(Note{60, 100, 0.0, 0.5});
  Note kick{36, 100, 0.5, 0.6};
  kick.is_drum = true;
  kick.channel = 9;
  seq.notes.push_back(kick);
  seq.total_time = 0.6;
  NoteRenderReport report;
  const Audio a = engine.render(seq, NoteRenderOptions{}, &report);
  EXPECT_EQ(a.sample_rate, 48000);  // the studio default: 48 kHz stereo
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(report.notes, 1u);
  EXPECT_EQ(report.drum_notes, 1u);
  EXPECT_GT(peak(a.samples), 0.01);
  NoteRenderOptions no_drums;
  no_drums.drums = false;
  engine.render(seq, no_drums, &report);
  EXPECT_EQ(report.skipped_drums, 1u);
  // Nothing was worth a note: the log stays empty (the engine never prints).
  EXPECT_TRUE(log.empty()) << log.front();
}

TEST(Engine, FindsBundledModelsAndNamesWhereItLooked) {
  ::setenv("TIMBREL_MODELS", kModels.c_str(), 1);
  EXPECT_EQ(bundled_model_path("gm-timbres"), kModels + "/gm-timbres");
  try {
    bundled_model_path("no-such-model");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(kModels + "/no-such-model"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("--")));
  }
  ::unsetenv("TIMBREL_MODELS");
}
