// The chord-conditioned Melody RNN (ImprovRNN): the next step's chord in the inputs, training on
// lead sheets (chords CSV beside a file, or its chord text events), transposed with the melody;
// continuations and improvisations that follow a progression the corpus never played in order;
// a model widened from an unconditioned one; the CLI, the Engine and the held-out measures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/event_codec.h"
#include "nn/event_rnn_model.h"
#include "arpeggio_corpus.h"
#include "test_util.h"
#include "timbrel/engine.h"
#include "timbrel/evaluate.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "train/event_rnn_trainer.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

constexpr int NO = kMelodyNoEvent;

std::string arpeggio_corpus() { return test::arpeggio_corpus("arpeggios", 7); }
using test::strong_beat_chord_tones;

EventRnnTrainOptions tiny_improv(const std::string& out) {
  EventRnnTrainOptions o;
  o.kind = ModelKind::Melody;
  o.chords = true;
  o.data_dirs = {arpeggio_corpus()};
  o.out_dir = out;
  o.layers = {64, 64};
  o.dropout = 0.0;
  o.batch = 16;
  o.window_steps = 64;
  o.max_steps = 400;
  o.learning_rate = 1e-2;
  o.transpose = 2;  // chords move with the melody, or the pairs contradict each other
  o.validation_fraction = 0.0;
  o.checkpoint_every = 400;
  o.threads = 2;
  return o;
}

// The model trained once for the tests of this file (by whichever test process asks first).
const std::string& improv_model() {
  static const std::string out =
      test::trained_once("improv-rnn", [](const std::string& dir) { train::train_event_rnn(tiny_improv(dir)); });
  return out;
}

TEST(ImprovCodec, NextStepsChordFollowsTheEventInputs) {
  nn::EventCodec codec = nn::EventCodec::melody();
  const int plain = codec.input_size();
  codec.chord_control = true;
  ASSERT_EQ(codec.input_size(), plain + kChordPitchesDepth);
  std::vector<int> events(4, NO);
  events[0] = 60;
  const std::vector<Chord> chords{parse_chord("C"), parse_chord("G7/B"), parse_chord("Am")};
  std::vector<float> in(size_t(codec.input_size()));
  codec.input(events, 0, in.data(), chords);
  const auto g7 = encode_chord_pitches(chords[1]);  // position 0 reads step 1's chord (Magenta's conditioning)
  EXPECT_TRUE(std::equal(g7.begin(), g7.end(), in.begin() + plain));
  EXPECT_EQ(in[size_t(plain + 1 + 7)], 1.0f);   // root G
  EXPECT_EQ(in[size_t(plain + 25 + 11)], 1.0f);  // bass B
  EXPECT_THROW(codec.input(events, 2, in.data(), chords), Error);  // step 3 has no chord
}

TEST(ImprovCodec, ProgressionRepeatsForwardAndBackFromItsStart) {
  const auto prog = parse_progression("C G,G7 Am");  // 3 bars: C, G then G7 (2 beats each), Am
  ASSERT_EQ(prog.size(), 4u);
  EXPECT_DOUBLE_EQ(prog[2].start_beat, 6);
  const std::vector<Chord> steps = nn::progression_steps(prog, -16, 16 + 48 + 16);
  EXPECT_EQ(chord_symbol(steps[0]), "Am");                // the bar before the start: the last bar
  EXPECT_EQ(chord_symbol(steps[16]), "C");
  EXPECT_EQ(chord_symbol(steps[16 + 16 + 8]), "G7");
  EXPECT_EQ(chord_symbol(steps[16 + 48]), "C");           // and again
  EXPECT_EQ(parse_progression("| C | G,G7 | Am |").size(), 4u);
  EXPECT_THROW(parse_progression("C H7"), Error);
  EXPECT_THROW(parse_progression("  "), Error);
  EXPECT_EQ(chord_symbol(transpose_chord(parse_chord("D/F#"), -3)), "B/D#");
}

TEST(ImprovRnn, PlaysChordTonesOfAProgressionItNeverHeard) {
  const EventRnn model = EventRnn::load(improv_model());
  ASSERT_TRUE(model.info().chords);
  ContinueOptions o;
  o.bars = 8;
  o.temperature = 0.5;
  o.chords = parse_progression("Dm G Em Am F C G C");
  double mean = 0;  // chance (a C-major note on a strong beat) is about 0.43
  for (uint64_t seed = 0; seed < 3; ++seed) {
    o.seed = seed;
    const NoteSequence song = model.improvise(o, 120);
    ASSERT_GE(song.notes.size(), 16u);
    const auto chords = chord_spans(song);
    ASSERT_EQ(chords.size(), 8u);
    EXPECT_EQ(chords[1].symbol, "G");
    const double share = strong_beat_chord_tones(song.notes, chords, 120);
    EXPECT_GE(share, 0.7) << "seed " << seed;
    mean += share / 3;
  }
  EXPECT_GE(mean, 0.8);
  // A transposed progression (the corpus is all in C; training moved it by up to 2 semitones).
  o.chords = parse_progression("Bb Eb F Gm");
  const NoteSequence song = model.improvise(o, 120);
  EXPECT_GE(strong_beat_chord_tones(song.notes, chord_spans(song), 120), 0.8);

  // Over other chords it plays other notes: few of them fit the first progression.
  ContinueOptions other = o;
  other.chords = parse_progression("C Am F G");
  const NoteSequence elsewhere = model.improvise(other, 120);
  ASSERT_GE(elsewhere.notes.size(), 8u);
  EXPECT_LT(strong_beat_chord_tones(elsewhere.notes, o.chords, 120), 0.6);
}

// Guidance towards the chords: the card's weight unless one is given; a weight must be finite;
// a model without chords has nothing to be guided by and plays as it would without.
TEST(ImprovRnn, ChordGuidanceIsTheCardsUnlessGiven) {
  const std::string dir = test::temp_dir() + "/improv-guided";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(improv_model(), dir);
  nlohmann::json card = nlohmann::json::parse(test::read_text(dir + "/model.json"));
  card["sampling"] = {{"chord_guidance", 2.0}};
  std::ofstream(dir + "/model.json") << card.dump();
  const EventRnn plain = EventRnn::load(improv_model()), guided = EventRnn::load(dir);
  EXPECT_EQ(plain.info().chord_guidance, 0.0);
  EXPECT_EQ(guided.info().chord_guidance, 2.0);
  auto pitches = [](const EventRnn& model, double guidance, uint64_t seed) {
    ContinueOptions o;
    o.bars = 4, o.temperature = 1.0, o.seed = seed, o.chord_guidance = guidance;
    o.chords = parse_progression("Dm G Em Am");
    std::vector<int> out;
    for (const Note& n : model.improvise(o, 120).notes) out.push_back(n.pitch), out.push_back(int(std::lround(n.start_time * 8)));
    return out;
  };
  bool moved = false;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    EXPECT_EQ(pitches(guided, -1, seed), pitches(plain, 2.0, seed));
    EXPECT_EQ(pitches(guided, 0, seed), pitches(plain, -1, seed));
    // The same draws (one path) but for the guidance's weight.
    moved = moved || pitches(plain, 2.0, seed) != pitches(plain, 1e-9, seed);
  }
  EXPECT_TRUE(moved) << "guidance 2 played as guidance 1e-9 over four seeds";
  ContinueOptions bad;
  bad.chords = parse_progression("C G");
  bad.chord_guidance = std::nan("");
  try {
    plain.improvise(bad, 120);
    FAIL() << "a NaN guidance was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "chord_guidance");
  }
  card["sampling"]["chord_guidance"] = -1.0;
  std::ofstream(dir + "/model.json") << card.dump();
  try {
    EventRnn::load(dir);
    FAIL() << "a negative guidance in a card was taken";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("sampling.chord_guidance"));
  }
  const EventRnn melody = nn::make_event_rnn(nn::EventCodec::melody(), {32}, 0.0);
  ContinueOptions a, b;
  b.chord_guidance = 5;
  const std::vector<int> primer = {60, NO, 62, NO, 64, NO, 65, NO};
  EXPECT_EQ(melody.continue_events(primer, 32, a), melody.continue_events(primer, 32, b));
}

// With guidance, temperature 0 is still the likeliest line (seeds do not matter), and beam search
// keeps each row's guided state beside its own.
TEST(ImprovRnn, ChordGuidanceAtTemperatureZeroAndInABeam) {
  const EventRnn model = EventRnn::load(improv_model());
  ContinueOptions o;
  o.bars = 2, o.temperature = 0, o.chord_guidance = 1.5;
  o.chords = parse_progression("F C");
  const std::vector<int> primer = {60, NO, NO, NO, 64, NO, NO, NO, 67, NO, NO, NO, 72, NO, NO, NO};
  o.seed = 1;
  const std::vector<int> one = model.continue_events(primer, 32, o);
  o.seed = 2;
  EXPECT_EQ(model.continue_events(primer, 32, o), one);
  o.temperature = 1, o.beam_size = 2, o.branch_factor = 2, o.steps_per_iteration = 2;
  const std::vector<int> beam = model.continue_events(primer, 32, o);
  EXPECT_EQ(beam.size(), 32u);
  EXPECT_EQ(model.continue_events(primer, 32, o), beam);  // the same seed, the same search
  EXPECT_TRUE(std::any_of(beam.begin(), beam.end(), [](int e) { return e >= 0; }));
}

TEST(ImprovRnn, ContinuesAPrimerOverTheGivenChordsAndWritesThem) {
  const EventRnn model = EventRnn::load(improv_model());
  NoteSequence primer = read_midi(arpeggio_corpus() + "/song1.mid");  // chords only in its CSV: read as the progression
  for (Note& n : primer.notes)
    if (n.start_time >= 4.0) n.pitch = -1;
  primer.notes.erase(std::remove_if(primer.notes.begin(), primer.notes.end(), [](const Note& n) { return n.pitch < 0; }), primer.notes.end());
  ContinueOptions o;
  o.bars = 4;
  o.temperature = 0.5;
  o.chords = parse_progression("F Dm G C");
  const NoteSequence out = model.continue_sequence(primer, o);
  std::vector<Note> added(out.notes.begin() + long(primer.notes.size()), out.notes.end());
  ASSERT_FALSE(added.empty());
  EXPECT_GE(added.front().start_time, 4.0 - 1e-9);
  const auto chords = chord_spans(out);
  ASSERT_FALSE(chords.empty());
  EXPECT_EQ(chords.front().symbol, "G");  // the primer's 2 bars read the progression's last 2, laid back from bar 3
  EXPECT_EQ(chords[2].symbol, "F");
  EXPECT_GE(strong_beat_chord_tones(added, chords, 120), 0.85);

  // A primer with its own chords, written past its last note: they end where the continuation starts.
  NoteSequence lead = read_midi(arpeggio_corpus() + "/song0.mid");  // 8 bars, its chords as text events
  const std::vector<ChordSpan> own = chord_spans(lead);
  lead.notes.erase(std::remove_if(lead.notes.begin(), lead.notes.end(), [](const Note& n) { return n.start_time >= 10.0; }), lead.notes.end());
  const NoteSequence longer = model.continue_sequence(lead, o);  // 5 bars of primer, a 4-bar progression
  const auto spans = chord_spans(longer);
  ASSERT_EQ(spans.size(), 5u + 4u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(spans[i].symbol, own[i].symbol);
  EXPECT_DOUBLE_EQ(spans[4].end_beat, 20.0);
  EXPECT_EQ(spans[5].symbol, "F");

  ContinueOptions none = o;
  none.chords.clear();
  try {
    model.continuation(primer, none);
    FAIL() << "a chord-conditioned model continued without chords";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "chords");
  }
}

TEST(ImprovRnn, WidensAnUnconditionedModelWithoutChangingIt) {
  const std::string base = test::temp_dir() + "/improv-base", out = test::temp_dir() + "/improv-from";
  nn::make_event_rnn(nn::EventCodec::melody(), {32, 32}, 0.0).save(base);
  EventRnnTrainOptions o = tiny_improv(out);
  o.from = base;
  EXPECT_THROW(train::train_event_rnn(o), Error);  // layers 64,64 against the base's 32,32
  o.layers.clear();
  o.max_steps = 1;
  o.learning_rate = 0;
  o.checkpoint_every = 1;
  train::train_event_rnn(o);
  const EventRnn before = EventRnn::load(base), after = EventRnn::load(out);
  EXPECT_TRUE(after.info().chords);
  EXPECT_EQ(after.info().layers, (std::vector<int>{32, 32}));
  std::vector<int> events(40, NO);
  events[0] = 60, events[16] = 64, events[32] = 67;
  EXPECT_NEAR(after.log_likelihood(events, parse_progression("C Am F")), before.log_likelihood(events), 1e-4);
  EXPECT_THROW(after.log_likelihood(events), Error);

  o.out_dir = test::temp_dir() + "/improv-back";
  o.from = out;
  o.chords = false;
  EXPECT_THROW(train::train_event_rnn(o), Error);  // a chord model cannot lose its chords
}

TEST(ImprovRnnCli, ContinueGenerateAndEvalOverChords) {
  const std::string model = improv_model(), dir = test::temp_dir() + "/improv-cli";
  std::filesystem::create_directories(dir);
  const std::string bin = TIMBREL_BINARY, primer = arpeggio_corpus() + "/song0.mid";
  std::string text;
  ASSERT_EQ(test::run_command(bin + " continue " + primer + " --model " + model + " --chords \"Am Dm,G C\" --bars 3 -o " + dir + "/c.mid", &text, true), 0)
      << text;
  const auto chords = chord_spans(read_midi(dir + "/c.mid"));
  ASSERT_FALSE(chords.empty());
  EXPECT_EQ(chords.back().symbol, "C");
  ASSERT_NE(test::run_command(bin + " continue " + primer + " --model " + model + " --chords \"C Q7\" -o " + dir + "/bad.mid", &text, true), 0);
  EXPECT_THAT(text, HasSubstr("--chords"));
  EXPECT_THAT(text, HasSubstr("Q7"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.mid"));
  ASSERT_NE(test::run_command(bin + " continue " + primer + " --model " + model + " --chord-guidance 1 -o " + dir + "/bad.mid", &text, true), 0);
  EXPECT_THAT(text, HasSubstr("--chord-guidance"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/bad.mid"));

  // generate --chords: the melody improvised over them, arranged on them, rendered.
  ASSERT_EQ(test::run_command(bin + " generate --chords \"F C Dm Bb\" --improv-rnn " + model +
                                  " --bars 4 --arrange --temperature 0.5 --sample-rate 16000 -o " + dir + "/song.wav",
                              &text, true), 0)
      << text;
  EXPECT_TRUE(std::filesystem::exists(dir + "/song.wav"));
  const NoteSequence song = read_midi(dir + "/song.mid");
  ASSERT_EQ(chord_spans(song).size(), 4u);
  EXPECT_EQ(chord_spans(song)[3].symbol, "Bb");
  EXPECT_GE(song.tracks.size(), 3u);  // melody, bass, accompaniment

  ASSERT_EQ(test::run_command(bin + " eval melody-rnn --model " + model + " --data " + arpeggio_corpus() + " --temperature 0.5 --json", &text), 0)
      << text;
  const auto j = nlohmann::json::parse(text);
  EXPECT_GT(j["continuation"]["strong_beat_chord_tones"].get<double>(), 0.85);
  EXPECT_DOUBLE_EQ(j["continuation"]["real_strong_beat_chord_tones"].get<double>(), 1.0);

  // Played files (POP909's onsets sit a few milliseconds off the grid): the real notes still count
  // on their beats, instead of none of them (which left only exact onsets and a share of -1).
  const std::string played = dir + "/played";
  std::filesystem::create_directories(played);
  for (const auto& e : std::filesystem::directory_iterator(arpeggio_corpus())) {
    const std::string to = played + "/" + e.path().filename().string();
    if (e.path().extension() != ".mid") {
      std::filesystem::copy_file(e.path(), to);
      continue;
    }
    NoteSequence seq = read_midi(e.path().string());
    for (Note& n : seq.notes) n.start_time += 0.006, n.end_time += 0.006;
    write_midi(seq, to);
  }
  ASSERT_EQ(test::run_command(bin + " eval melody-rnn --model " + model + " --data " + played + " --temperature 0.5 --json", &text), 0) << text;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(text)["continuation"]["real_strong_beat_chord_tones"].get<double>(), 1.0);
}

TEST(ImprovRnn, EngineUsesTheChordModelWhenChordsAreGiven) {
  EngineOptions p;
  p.improv_rnn_model = improv_model();
  Engine engine(p);
  SongOptions r;
  r.bars = 4;
  r.temperature = 0.5;
  r.chords = parse_progression("G Em C D");
  const NoteSequence song = engine.compose(r);
  EXPECT_GE(strong_beat_chord_tones(song.notes, chord_spans(song), 120), 0.85);
  EngineOptions plain;
  plain.improv_rnn_model = test::temp_dir() + "/improv-base";
  if (!std::filesystem::exists(plain.improv_rnn_model)) nn::make_event_rnn(nn::EventCodec::melody(), {32, 32}, 0.0).save(plain.improv_rnn_model);
  Engine unconditioned(plain);
  try {
    unconditioned.compose(r);
    FAIL() << "an unconditioned model improvised over chords";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "improv_rnn_model");
  }
}

}  // namespace

namespace {

// The shipped model on OpenEWLD's held-out standards, beside the unconditioned Melody RNN.
TEST(ImprovRnnShipped, FollowsHeldOutChordsBetterThanTheUnconditionedModel) {
  const std::string data = test::shared_dir().empty() ? "" : test::shared_dir() + "/data/melodies/openewld/midi";
  if (data.empty() || !std::filesystem::exists(data)) GTEST_SKIP() << "no ../shared/data/melodies";
  EventRnnEvalOptions o;
  o.data = data;
  o.held_out = true;
  o.model = std::string(TIMBREL_SOURCE_DIR) + "/models/improv-rnn";
  const EventRnnEvalReport improv = evaluate_event_rnn(o);
  ASSERT_GT(EventRnn::load(o.model).info().chord_guidance, 0.0);
  // Chord tones over 20 files move by several points between seeds: both models' mean of three.
  auto mean_chord_tones = [&](const std::string& model) {
    double sum = 0;
    for (uint64_t seed : {0, 1, 2}) {
      o.model = std::string(TIMBREL_SOURCE_DIR) + "/models/" + model, o.seed = seed;
      sum += evaluate_event_rnn(o).continuation.chord_tones / 3;
    }
    return sum;
  };
  const double with_chords = mean_chord_tones("improv-rnn"), without = mean_chord_tones("melody-rnn");
  const ContinuationScore& c = improv.continuation;
  EXPECT_GE(c.files, 20u);
  EXPECT_GT(improv.next.accuracy, 0.78);
  EXPECT_GE(with_chords, without + 0.2) << without;
  // Its card's guidance brings the chord tones within the issue's 5 points of the data's
  // (measured 0.867 against 0.875).
  EXPECT_GE(with_chords, c.real_chord_tones - 0.05);
  EXPECT_LE(with_chords, c.real_chord_tones + 0.05);
  o.model = std::string(TIMBREL_SOURCE_DIR) + "/models/improv-rnn", o.chord_guidance = 0;
  double unguided = 0;
  for (uint64_t seed : {0, 1, 2}) o.seed = seed, unguided += evaluate_event_rnn(o).continuation.chord_tones / 3;
  EXPECT_GE(with_chords, unguided + 0.1) << unguided;  // measured 0.658
  EXPECT_GE(c.in_key, c.real_in_key - 0.05);
  EXPECT_NEAR(double(c.notes) / double(c.real_notes), 1.0, 0.25);
}

}  // namespace
