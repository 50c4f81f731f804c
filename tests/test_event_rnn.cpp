// The Melody RNN / Drums RNN: Magenta's lookback encoding (checked against its documented layout
// by hand), the model folder, training on a tiny corpus until it continues a riff, beam search,
// and `timbrel continue`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "models/event_codec.h"
#include "nn/event_rnn_model.h"
#include "render/live_responder.h"
#include "test_util.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "train/event_rnn_trainer.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

constexpr int NO = kMelodyNoEvent;

// 40 steps: C4 at 0 and 16, D4 at 32.
std::vector<int> three_bar_events() {
  std::vector<int> e(40, NO);
  e[0] = 60, e[16] = 60, e[32] = 62;
  return e;
}

TEST(EventCodec, MelodyLayoutIsMagentas) {
  const nn::EventCodec c = nn::EventCodec::melody();
  EXPECT_EQ(c.one_hot_classes(), 38);
  EXPECT_EQ(c.classes(), 40);
  EXPECT_EQ(c.input_size(), 121);  // Magenta's docstring: 38 classes, two lookbacks, five counters
  const nn::EventCodec d = nn::EventCodec::drums();
  EXPECT_EQ(d.classes(), 514);
  EXPECT_EQ(d.input_size(), 512 * 3 + 5 + 2);

  const auto e = three_bar_events();
  std::vector<float> in(121);
  c.input(e, 16, in.data());
  std::vector<int> ones;
  for (int i = 0; i < 121; ++i)
    if (in[size_t(i)] == 1.0f) ones.push_back(i);
  // Current C4 (60 - 48 + 2 = 14); next step one bar back (no event, 38 + 0); two bars back is
  // before the start (the default event, 76 + 0); counter of step 17 = 10001b; repeats 1 bar back.
  EXPECT_THAT(ones, ::testing::ElementsAre(14, 38, 76, 114, 118, 119));
  EXPECT_EQ(in[115], -1.0f);
  EXPECT_EQ(in[120], 0.0f);

  EXPECT_EQ(c.label(e, 16), 38);  // repeats one bar back
  EXPECT_EQ(c.label(e, 5), 39);   // silence before the second lookback: "repeat 2 bars"
  EXPECT_EQ(c.label(e, 33), 39);  // no event, as two bars back
  EXPECT_EQ(c.label(e, 32), 16);  // D4, new
  std::vector<int> history(e.begin(), e.begin() + 20);
  EXPECT_EQ(c.class_to_event(38, history), history[4]);
  EXPECT_EQ(c.class_to_event(39, std::vector<int>(10, 60)), NO);  // too short to look back: default
  EXPECT_EQ(c.class_to_event(16, history), 62);
  EXPECT_THROW(c.encode_event(84), Error);
  EXPECT_THROW(c.encode_event(47), Error);
}

TEST(EventCodec, MelodyMovesIntoRangeByOctavesAndBack) {
  const nn::EventCodec c = nn::EventCodec::melody();
  std::vector<int> e{90, NO, 100, kMelodyNoteOff, 95};
  EXPECT_EQ(nn::fit_melody_range(e, c), -24);
  EXPECT_THAT(e, ::testing::ElementsAre(66, NO, 76, kMelodyNoteOff, 71));
  std::vector<int> wide{30, 101};  // no octave shift fits both: the rest folds in
  nn::fit_melody_range(wide, c);
  for (int p : wide) EXPECT_TRUE(p >= 48 && p < 84) << p;
}

TEST(EventCodec, EventsRoundTripThroughNotes) {
  std::vector<int> events{60, NO, 62, kMelodyNoteOff, NO, 64, NO, NO};
  NoteSequence seq;
  nn::append_events(events, nn::EventCodec::melody(), 0.0, 0.125, {}, seq);
  ASSERT_EQ(seq.notes.size(), 3u);
  EXPECT_DOUBLE_EQ(seq.notes[1].end_time, 0.375);
  EXPECT_DOUBLE_EQ(seq.notes[2].end_time, 1.0);
  seq.tempos = {{0.0, 120.0}};
  std::vector<int> back = nn::melody_events(seq);
  back.resize(events.size(), NO);  // the closing note-off lies one step past the list
  EXPECT_EQ(back, events);

  NoteSequence beat;
  nn::append_events({1 | 4, 0, 2, 0}, nn::EventCodec::drums(), 0.0, 0.125, {}, beat);
  ASSERT_EQ(beat.notes.size(), 3u);
  for (const Note& n : beat.notes) EXPECT_TRUE(n.is_drum && n.channel == 9);
  beat.tempos = {{0.0, 120.0}};
  EXPECT_THAT(nn::drum_events(beat), ::testing::ElementsAre(5, 0, 2));
}

// A corpus of one 2-bar riff repeated for 8 bars, in six keys (melody) or one beat (drums).
std::string riff_corpus(const std::string& kind) {
  const std::string dir = test::temp_dir() + "/" + kind + "-riffs";
  std::filesystem::create_directories(dir);
  const int riff[8] = {0, 4, 7, 12, 7, 4, 2, -1};
  for (int f = 0; f < 6; ++f) {
    NoteSequence seq;
    seq.tempos = {{0.0, 120.0}};
    std::vector<int> events(128, kind == "drums" ? 0 : NO);
    for (size_t i = 0; i < events.size(); i += 4) {
      const int k = riff[i / 4 % 8];
      if (kind == "drums") events[i] = (i % 16 == 0 ? 1 : 0) | (i % 8 == 4 ? 2 : 0) | 4;
      else events[i] = k < 0 ? kMelodyNoteOff : 60 + f + k;
    }
    nn::append_events(events, kind == "drums" ? nn::EventCodec::drums() : nn::EventCodec::melody(), 0.0, 0.125, {}, seq);
    write_midi(seq, dir + "/riff" + std::to_string(f) + ".mid");
  }
  return dir;
}

EventRnnTrainOptions tiny(const std::string& kind, const std::string& data, const std::string& out) {
  EventRnnTrainOptions o;
  o.kind = parse_model_kind(kind);
  o.data_dirs = {data};
  o.out_dir = out;
  o.layers = {48, 48};
  o.dropout = 0.0;
  o.batch = 8;
  o.window_steps = 64;
  o.max_steps = 150;
  o.learning_rate = 1e-2;
  o.transpose = 0;
  o.validation_fraction = 0.0;
  o.checkpoint_every = 100;
  o.threads = 2;
  return o;
}

TEST(EventRnn, LearnsARiffAndContinuesIt) {
  const std::string out = test::temp_dir() + "/melody-rnn";
  auto r = train::train_event_rnn(tiny("melody", riff_corpus("melody"), out));
  EXPECT_EQ(r.steps, 150);
  EXPECT_LT(r.last_loss, 0.3 * r.first_loss) << r.first_loss << " -> " << r.last_loss;
  EventRnn model = EventRnn::load(out);
  EXPECT_EQ(model.info().kind, ModelKind::Melody);

  // Two bars of the riff in a key it never saw (F#), an octave up: it plays on in that key.
  NoteSequence primer;
  primer.tempos = {{0.0, 90.0}};
  primer.time_signatures = {{0.0, 4, 4}};
  std::vector<int> bars(32, NO);
  const int riff[8] = {0, 4, 7, 12, 7, 4, 2, -1};
  for (size_t i = 0; i < 32; i += 4) bars[i] = riff[i / 4] < 0 ? kMelodyNoteOff : 78 + riff[i / 4];
  nn::append_events(bars, nn::EventCodec::melody(), 0.0, 15.0 / 90, {90, 41, 2, 0}, primer);
  ContinueOptions o;
  o.bars = 4;
  o.temperature = 0;
  NoteSequence cont = model.continue_sequence(primer, o);
  ASSERT_GT(cont.notes.size(), primer.notes.size());
  for (size_t i = 0; i < primer.notes.size(); ++i) EXPECT_EQ(cont.notes[i].start_time, primer.notes[i].start_time);
  size_t in_riff = 0, added = 0;
  for (size_t i = primer.notes.size(); i < cont.notes.size(); ++i, ++added) {
    const Note& n = cont.notes[i];
    EXPECT_GE(n.start_time, 2 * 4 * 60.0 / 90 - 1e-9);  // from bar 3 on
    EXPECT_EQ(n.program, 41);
    EXPECT_EQ(n.channel, 2);
    const int step = int(std::lround(n.start_time / (15.0 / 90)));
    in_riff += step % 4 == 0 && riff[step / 4 % 8] >= 0 && n.pitch == 78 + riff[step / 4 % 8];
  }
  EXPECT_GE(double(in_riff), 0.9 * double(added)) << in_riff << " of " << added;
  EXPECT_NEAR(cont.total_time, 6 * 4 * 60.0 / 90, 60.0 / 90);

  // Beam search finds a sequence the model likes at least as much as plain samples do.
  const std::vector<int> start(bars.begin(), bars.end());
  std::vector<int> primer_events = start;
  nn::fit_melody_range(primer_events, nn::EventCodec::melody());
  ContinueOptions sample;
  sample.temperature = 1.5;
  double sampled = 0;
  for (uint64_t s = 0; s < 4; ++s) {
    sample.seed = s;
    auto e = primer_events;
    for (int x : model.continue_events(primer_events, 32, sample)) e.push_back(x);
    sampled += model.log_likelihood(e) / 4;
  }
  ContinueOptions beam = sample;
  beam.beam_size = 4, beam.branch_factor = 4, beam.steps_per_iteration = 4;
  auto e = primer_events;
  for (int x : model.continue_events(primer_events, 32, beam)) e.push_back(x);
  EXPECT_GT(model.log_likelihood(e), sampled);

  NoteSequence drums_only;
  Note kick;
  kick.pitch = 36, kick.end_time = 0.1, kick.is_drum = true, kick.channel = 9;
  drums_only.notes.push_back(kick);
  try {
    model.continuation(drums_only, o);
    FAIL() << "a primer without melody notes was continued";
  } catch (const Error& err) {
    EXPECT_EQ(err.subject(), "primer");
  }
}

TEST(EventRnn, DrumsKeepTheGridAndChannelTen) {
  const std::string out = test::temp_dir() + "/drums-rnn";
  auto o = tiny("drums", riff_corpus("drums"), out);
  o.layers = {64};
  train::train_event_rnn(o);
  NoteSequence primer;
  primer.tempos = {{0.0, 100.0}};
  std::vector<int> beat(32, 0);
  for (size_t i = 0; i < beat.size(); i += 4) beat[i] = (i % 16 == 0 ? 1 : 0) | (i % 8 == 4 ? 2 : 0) | 4;
  nn::append_events(beat, nn::EventCodec::drums(), 0.0, 0.15, {}, primer);
  EngineOptions p;
  p.drums_rnn_model = out;
  Engine engine(p);
  ContinueOptions c;
  c.bars = 2;
  c.temperature = 0;
  NoteSequence cont = engine.continue_sequence(primer, c);
  const size_t added = cont.notes.size() - primer.notes.size();
  EXPECT_EQ(added, primer.notes.size());  // the same beat again
  for (size_t i = primer.notes.size(); i < cont.notes.size(); ++i) {
    EXPECT_TRUE(cont.notes[i].is_drum);
    EXPECT_EQ(cont.notes[i].channel, 9);
    const double step = cont.notes[i].start_time / 0.15;
    EXPECT_NEAR(step, std::round(step), 1e-6);  // on the primer's sixteenth grid
  }
}

TEST(EventRnn, ModelFolderRoundTripsAndRejectsBadWeights) {
  EventRnn m = nn::make_event_rnn(nn::EventCodec::melody(), {16, 16}, 0.5);
  const std::string dir = test::temp_dir() + "/rnn-folder";
  m.save(dir);
  EventRnn back = EventRnn::load(dir);
  const std::vector<int> e = three_bar_events();
  EXPECT_NEAR(back.log_likelihood(e), m.log_likelihood(e), 1e-5);
  EXPECT_EQ(back.info().layers, (std::vector<int>{16, 16}));
  auto tensors = event_rnn_impl(m).net->tensors();
  tensors["output.weight"] = torch::zeros({3, 16});
  try {
    nn::event_rnn_from(event_rnn_impl(m).card, tensors, "bad.safetensors");
    FAIL() << "a wrong shape was accepted";
  } catch (const Error& err) {
    EXPECT_THAT(err.what(), HasSubstr("output.weight"));
    EXPECT_THAT(err.what(), HasSubstr("bad.safetensors"));
  }
  EXPECT_THROW(m.continue_events({60, 200}, 4, {}), Error);
}

TEST(EventRnnCli, ContinueWritesPrimerThenContinuation) {
  const std::string model = test::temp_dir() + "/cli-melody-rnn";
  train::train_event_rnn(tiny("melody", riff_corpus("melody"), model));
  const std::string primer = riff_corpus("melody") + "/riff0.mid", out = test::temp_dir() + "/continued.mid";
  std::string text;
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " continue " + primer + " --model " + model + " --bars 2 --seed 3 -o " + out,
                              &text, true), 0) << text;
  const NoteSequence in = read_midi(primer), got = read_midi(out);
  EXPECT_GT(got.notes.size(), in.notes.size());
  EXPECT_NEAR(got.first_qpm(), in.first_qpm(), 1e-6);
  ASSERT_NE(test::run_command(std::string(TIMBREL_BINARY) + " continue " + primer + " --model " + model + " --bars 0 -o " + out + ".x",
                              &text, true), 0);
  EXPECT_THAT(text, HasSubstr("--bars"));
  EXPECT_FALSE(std::filesystem::exists(out + ".x"));

  // eval: teacher-forced accuracy on the riffs, and continuations of their first 4 bars in key.
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " eval melody-rnn --model " + model + " --data " + riff_corpus("melody") +
                                  " --json", &text), 0) << text;
  const auto j = nlohmann::json::parse(text);
  EXPECT_GT(j["accuracy"].get<double>(), 0.8);
  EXPECT_EQ(j["continuation"]["files"], 6);
  EXPECT_GT(j["continuation"]["in_key"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(j["continuation"]["real_in_key"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["continuation"]["primer_notes_per_bar"].get<double>(), 3.5);  // 7 quarter notes every 2 bars
  EXPECT_DOUBLE_EQ(j["continuation"]["real_notes_per_bar"].get<double>(), 3.5);
  EXPECT_GT(j["continuation"]["notes_per_bar"].get<double>(), 0.0);

  // A song whose melody enters after two bars (a pop intro): its primer starts at the melody.
  const std::string late = test::temp_dir() + "/late-riff";
  std::filesystem::create_directories(late);
  NoteSequence riff = read_midi(primer);
  const double two_bars = 2 * 240.0 / riff.first_qpm();
  for (Note& n : riff.notes) n.start_time += two_bars, n.end_time += two_bars;
  riff.total_time += two_bars;
  write_midi(riff, late + "/late.mid");
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " eval melody-rnn --model " + model + " --data " + late + " --json", &text), 0)
      << text;
  const auto l = nlohmann::json::parse(text);
  EXPECT_EQ(l["continuation"]["files"], 1);
  EXPECT_DOUBLE_EQ(l["continuation"]["primer_notes_per_bar"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(l["continuation"]["real_notes_per_bar"].get<double>(), 3.5);
  EXPECT_THAT(l["continuation"]["about"].get<std::string>(), HasSubstr("from its first note's bar"));
}

}  // namespace

namespace {

// Call and response: a four-bar phrase, a bar of rest, and the answer comes on the phrase's bar
// grid, in its key, as note-on/note-off pairs; nothing while the player still holds a key.
TEST(LiveResponder, AnswersAPhraseOnItsBarGrid) {
  const std::string out = test::temp_dir() + "/responder-rnn";
  train::train_event_rnn(tiny("melody", riff_corpus("melody"), out));
  EventRnn rnn = EventRnn::load(out);
  LiveResponder::Options o;
  o.qpm = 120;  // bars of 2 s, sixteenths of 0.125 s
  o.answer_bars = 2;
  o.temperature = 0;
  LiveResponder responder(rnn, o);
  const double t0 = 100.0;  // any steady clock
  auto play_riff = [t0](LiveResponder& r) {
    const int riff[8] = {0, 4, 7, 12, 7, 4, 2, -1};
    for (int i = 0; i < 16; ++i) {
      if (riff[i % 8] < 0) continue;
      r.note_on(62 + riff[i % 8], 90, t0 + 0.5 * i);
      r.note_off(62 + riff[i % 8], t0 + 0.5 * i + 0.4);
    }
  };
  play_riff(responder);
  EXPECT_TRUE(responder.due(t0 + 9.3).empty());  // the last note ended at 7.4: not yet a bar of rest
  auto first = responder.due(t0 + 9.45);
  EXPECT_EQ(responder.answers(), 1u);
  ASSERT_TRUE(responder.answering());
  const double start = responder.next_event_time();
  EXPECT_GE(start, t0 + 9.45);
  EXPECT_NEAR(std::fmod(start - t0, 0.125), 0.0, 1e-6);  // on the phrase's sixteenth grid
  std::vector<LiveResponder::Event> events;
  for (double t = t0 + 9.45; t < t0 + 30; t += 0.01)
    for (const auto& e : responder.due(t)) {
      EXPECT_LE(e.time, t);
      events.push_back(e);
    }
  EXPECT_FALSE(responder.answering());
  size_t ons = 0, in_key = 0;
  for (const auto& e : events)
    if (e.velocity > 0) ++ons, in_key += train::in_major_scale(e.pitch, 2);  // D major
  EXPECT_GE(ons, 4u);
  EXPECT_EQ(events.size(), 2 * ons);
  EXPECT_GE(double(in_key), 0.9 * double(ons));
  EXPECT_LT(events.back().time, start + 2 * 2.0 + 0.01);  // two bars

  LiveResponder holding(rnn, o);  // a key still held: no answer, however long the wait
  holding.note_on(62, 90, t0);
  EXPECT_TRUE(holding.due(t0 + 20).empty());
  EXPECT_EQ(holding.answers(), 0u);
  holding.note_off(62, t0 + 20);
  holding.due(t0 + 22.1);
  EXPECT_EQ(holding.answers(), 1u);

  // The threaded path: the phrase taken once, a note played while its answer is composed (kept
  // for the next phrase), and the answer scheduled where due() puts it.
  LiveResponder split(rnn, o);
  play_riff(split);
  std::optional<LiveResponder::Phrase> phrase = split.take_phrase(t0 + 9.45);
  ASSERT_TRUE(phrase.has_value());
  EXPECT_FALSE(split.take_phrase(t0 + 9.45).has_value());
  split.note_on(70, 90, t0 + 9.46);
  split.note_off(70, t0 + 9.5);
  split.schedule(*phrase, split.answer_to(*phrase));
  EXPECT_EQ(split.answers(), 1u);
  EXPECT_DOUBLE_EQ(split.next_event_time(), start);
  for (double t = t0 + 9.45; t < t0 + 30; t += 0.01) split.due(t);
  EXPECT_EQ(split.answers(), 2u);  // the note played meanwhile was a phrase of its own
}

}  // namespace
