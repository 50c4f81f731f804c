// NoteRenderer: placement, envelope, velocity, caching, long notes, range handling, timbre
// schedules, the limiter, and the render/generate commands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "render/note_level.h"
#include "render/note_renderer.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"
#include "train/soundfont_notes.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const Gansynth& model() {
  static Gansynth g = [] {
    GansynthConfig c;
    c.latent_size = 8;
    c.channels = {16, 16, 16, 16, 8, 8, 8};
    return Gansynth::random(c, 11, 0.5);
  }();
  return g;
}

NoteSequence one_note(int pitch, double start, double end, int velocity) {
  NoteSequence s;
  Note n;
  n.pitch = pitch;
  n.start_time = start;
  n.end_time = end;
  n.velocity = velocity;
  s.notes.push_back(n);
  s.total_time = end;
  return s;
}

// The renderer as it rendered before the studio mix: mono, 16 kHz, dry (the level of a centred
// note in mono is its level before panning, so these tests hold unchanged).
std::vector<float> render_mono16(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, NoteRenderOptions o,
                                 NoteRenderReport* report = nullptr) {
  o.sample_rate = 16000;
  o.channels = 1;
  o.room = false;
  return timbrel::render_sequence(seq, melodic, drums, o, report).samples;
}

double rms(const std::vector<float>& a, double from_s, double to_s) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = size_t(from_s * 16000); i < size_t(to_s * 16000) && i < a.size(); ++i, ++n) sum += double(a[i]) * a[i];
  return n ? std::sqrt(sum / double(n)) : 0;
}

}  // namespace

TEST(Render, PlacesTheGeneratedNoteWithMagentasEnvelope) {
  NoteRenderOptions o;
  o.schedule.timbres = {"seed:4"};
  NoteRenderReport r;
  auto audio = render_mono16(one_note(60, 1.0, 1.5, 127), model(), nullptr, o, &r);
  EXPECT_EQ(r.notes, 1u);
  EXPECT_EQ(r.generated, 1u);
  ASSERT_EQ(audio.size(), size_t(std::ceil(1.8 * 16000)) + 1);
  // Independently: the generator's note through the spectral core, levelled (sub-sonic filter,
  // peak at the full note level: this card stores no levels), x 0.5 (velocity 127), with a 10 ms
  // linear attack and a 0.3 s linear release after 0.5 s; the mix through the DC blocker.
  auto spec = model().generate(model().timbre("seed:4"), {60});
  auto note = spectrogram_to_audio(spec, generated_note_inverse());
  level_note(note, 0.0, 16000);
  HighPass dc(20.0, 16000);
  double worst = 0;
  for (size_t i = 0; i < audio.size(); ++i) {
    double expected = 0;
    if (i >= 16000) {
      const double t = double(i - 16000);
      double env = t < 160 ? t / 160 : 1.0;
      if (t >= 8000) env *= std::max(0.0, 1 - (t - 8000) / 4800);
      expected = t < 8000 + 4800 ? env * 0.5 * note[size_t(t)] : 0.0;
    }
    worst = std::max(worst, std::fabs(double(audio[i]) - double(soft_limit(dc.process(float(expected))))));
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_EQ(rms(audio, 0, 0.999), 0.0);
}

TEST(Render, VelocityScalesAndRepeatedNotesAreGeneratedOnce) {
  NoteSequence s = one_note(60, 0.0, 0.5, 127);
  Note soft = s.notes[0];
  soft.start_time = 2.0;
  soft.end_time = 2.5;
  soft.velocity = 40;
  s.notes.push_back(soft);
  NoteRenderReport r;
  auto audio = render_mono16(s, model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.generated, 1u);
  EXPECT_NEAR(rms(audio, 2.0, 2.5) / rms(audio, 0.0, 0.5), 40.0 / 127.0, 1e-3);
  EXPECT_LE(r.peak_before_limiter, 0.5 * 1.05);  // the DC blocker may overshoot a little
}

TEST(Render, LongNotesAreSustainedNotCut) {
  auto audio = render_mono16(one_note(60, 0.0, 9.0, 127), model(), nullptr, NoteRenderOptions{});
  const double early = rms(audio, 0.5, 1.5);
  ASSERT_GT(early, 0);
  EXPECT_GT(rms(audio, 7.5, 8.5), 0.3 * early);
  EXPECT_EQ(audio.size(), size_t(std::ceil(9.3 * 16000)) + 1);
}

TEST(Render, OutOfRangePitchesMoveByOctavesUnlessStrict) {
  NoteRenderReport r;
  auto audio = render_mono16(one_note(96, 0, 0.5, 100), model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.transposed, 1u);
  auto same = render_mono16(one_note(84, 0, 0.5, 100), model(), nullptr, NoteRenderOptions{});
  EXPECT_EQ(audio, same);  // 96 -> 84
  NoteRenderOptions strict;
  strict.strict = true;
  try {
    render_mono16(one_note(96, 0, 0.5, 100), model(), nullptr, strict);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("outside the model's range 24..84"));
  }
}

TEST(Render, DrumNotesNeedADrumModel) {
  NoteSequence s = one_note(38, 0, 0.2, 100);
  s.notes[0].is_drum = true;
  NoteRenderReport r;
  auto silent = render_mono16(s, model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.skipped_drums, 1u);
  auto played = render_mono16(s, model(), &model(), NoteRenderOptions{}, &r);
  EXPECT_EQ(r.drum_notes, 1u);
  EXPECT_GT(rms(played, 0, 0.2), 0.0);
}

// The drum model's hits take their own phase reconstruction (drum_inverse), melodic notes theirs.
TEST(Render, DrumHitsTakeTheDrumPhaseReconstruction) {
  static const Gansynth drums = [] {
    GansynthConfig c;
    c.latent_size = 8;
    c.channels = {16, 16, 16, 16, 8, 8, 8};
    return Gansynth::random(c, 12, 0.5);
  }();
  NoteSequence s = one_note(38, 0, 0.2, 100);
  s.notes[0].is_drum = true;
  NoteRenderOptions o;
  EXPECT_EQ(o.drum_inverse.phase, PhaseMethod::GriffinLim);
  EXPECT_EQ(o.inverse.phase, PhaseMethod::Pghi);
  const auto griffin_lim = render_mono16(s, model(), &drums, o);
  o.inverse.phase = PhaseMethod::If;  // the melodic notes' method: no drum hit changes
  EXPECT_EQ(griffin_lim, render_mono16(s, model(), &drums, o));
  o.drum_inverse.phase = PhaseMethod::Pghi;
  EXPECT_NE(griffin_lim, render_mono16(s, model(), &drums, o));
}

TEST(Render, DrumNotesOutsideTheKitMapOntoMagentasClasses) {
  EXPECT_EQ(drum_note_for_kit(36), 36);
  EXPECT_EQ(drum_note_for_kit(22), 42);  // electronic kits' closed hi-hat
  EXPECT_EQ(drum_note_for_kit(26), 46);  // open hi-hat
  EXPECT_EQ(drum_note_for_kit(85), 38);  // snare class
  EXPECT_EQ(drum_note_for_kit(86), 48);  // mid tom class
  EXPECT_EQ(drum_note_for_kit(127), -1);
  EXPECT_EQ(drum_note_for_kit(0), -1);
  NoteSequence s = one_note(22, 0, 0.2, 100);
  s.notes.push_back(s.notes[0]);
  s.notes[1].pitch = 127;
  for (Note& n : s.notes) n.is_drum = true;
  NoteRenderReport r;
  const auto mapped = render_mono16(s, model(), &model(), NoteRenderOptions{}, &r);
  EXPECT_EQ(r.drum_notes, 1u);
  EXPECT_EQ(r.mapped_drums, 1u);
  EXPECT_EQ(r.unknown_drums, 1u);
  NoteSequence hat = one_note(42, 0, 0.2, 100);
  hat.notes[0].is_drum = true;
  EXPECT_EQ(mapped, render_mono16(hat, model(), &model(), NoteRenderOptions{}));
}

TEST(Render, EveryMidiFileOfTheSharedCorporaIsPlayable) {
  // The renderer decides every note's model, pitch and timbre when it is built: a file that would
  // fail on an odd note (a drum number outside the kit, a pitch outside the range) fails here.
  const std::string shared = test::shared_dir();
  if (shared.empty() || !std::filesystem::is_directory(shared + "/data")) GTEST_SKIP() << "no ../shared/data";
  size_t files = 0, notes = 0, mapped = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(shared + "/data")) {
    const std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".mid" && ext != ".midi")) continue;
    NoteSequence seq;
    try {
      seq = read_midi(e.path().string());
    } catch (const Error&) {
      continue;  // unreadable files are the reader's business (test_midi_corpus)
    }
    if (seq.notes.empty()) continue;
    NoteRenderOptions o;
    o.subject = e.path().string();
    try {
      NoteRenderer r(seq, &model(), &model(), o);
      notes += r.report().notes + r.report().drum_notes;
      mapped += r.report().mapped_drums;
      ++files;
    } catch (const Error& err) {
      ADD_FAILURE() << err.what();
    }
  }
  EXPECT_GT(files, 0u);
  std::printf("%zu files, %zu notes, %zu drum notes mapped onto Magenta's classes\n", files, notes, mapped);
}

TEST(Render, SubsonicEnergyIsFilteredAndQuietNotesAreNotBlownUp) {
  std::vector<float> x(64000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(0.05 * std::sin(2 * M_PI * 10 * double(i) / 16000) + 0.05 * std::sin(2 * M_PI * 200 * double(i) / 16000));
  auto y = x;
  level_note(y, 0.0, 16000);
  // 200 Hz survives, 10 Hz goes (-38 dB): the steady part is a 200 Hz sine (phase-shifted).
  double s = 0, c = 0, norm = 0;
  for (size_t i = 16000; i < 48000; ++i) {
    s += y[i] * std::sin(2 * M_PI * 200 * double(i) / 16000);
    c += y[i] * std::cos(2 * M_PI * 200 * double(i) / 16000);
    norm += double(y[i]) * y[i];
  }
  const double amplitude = 2 * std::hypot(s, c) / 32000;
  EXPECT_NEAR(std::sqrt(2 * norm / 32000), amplitude, 0.01 * amplitude);
  // The 0.05 sine is quieter than any healthy generated note: boosted only 1 / kQuietestNotePeak times.
  EXPECT_NEAR(amplitude, 0.05 / kQuietestNotePeak, 0.02);
  // DC is gone after the filter's first tens of milliseconds.
  std::vector<float> dc(64000, 0.3f);
  level_note(dc, 0.0, 16000);
  for (size_t i = 8000; i < dc.size(); i += 997) EXPECT_LT(std::fabs(dc[i]), 1e-3) << i;
  // A healthy note is scaled to its level exactly.
  std::vector<float> loud(64000);
  for (size_t i = 0; i < loud.size(); ++i) loud[i] = float(0.8 * std::sin(2 * M_PI * 300 * double(i) / 16000));
  level_note(loud, -6.0, 16000);
  float peak = 0;
  for (float v : loud) peak = std::max(peak, std::fabs(v));
  EXPECT_NEAR(peak, std::pow(10.0, -6.0 / 20), 1e-3);
}

namespace {
// The test model with two presets, their General MIDI programs and training levels in its card.
Gansynth model_with_programs(const std::string& dir, const std::string& levels) {
  model().save(dir);
  std::ifstream in(dir + "/model.json");
  nlohmann::json card = nlohmann::json::parse(in);
  std::vector<float> near_a = model().timbre("seed:1");
  for (float& v : near_a) v *= 0.9f;  // nearer Piano A than anything else
  card["timbres"] = {{"Piano A", model().timbre("seed:1")}, {"Strings B", model().timbre("seed:2")}, {"Kit", near_a}};
  card["timbre_programs"] = {{"Piano A", {{"bank", 0}, {"program", 0}}}, {"Strings B", {{"bank", 0}, {"program", 40}}},
                             {"Kit", {{"bank", 128}, {"program", 0}}}};
  if (!levels.empty()) card["note_levels"] = nlohmann::json::parse(levels);
  std::ofstream(dir + "/model.json") << card.dump();
  return Gansynth::load(dir);
}
}  // namespace

TEST(Render, NotesFollowTheirGeneralMidiPrograms) {
  const Gansynth g = model_with_programs(test::temp_dir() + "/programs", "");
  EXPECT_TRUE(g.info().gm_programs);
  EXPECT_EQ(g.timbre("program:0"), g.timbre("preset:Piano A"));  // bank 0 before the kit's bank 128
  EXPECT_EQ(g.preset_for_program(40).preset, "Strings B");
  const auto near = g.preset_for_program(44);  // Strings family: the nearest program there
  EXPECT_EQ(near.preset, "Strings B");
  EXPECT_FALSE(near.exact);
  EXPECT_EQ(g.preset_for_program(3).preset, "Piano A");
  EXPECT_EQ(g.preset_for_program(30).preset, "Strings B");  // Guitar family absent: nearest program
  EXPECT_THROW(g.timbre("program:128"), Error);
  EXPECT_THROW(g.timbre("program:x"), Error);
  EXPECT_THROW(model().timbre("program:0"), Error);  // its card records no programs

  NoteSequence s = one_note(60, 0, 0.5, 100);
  s.notes.push_back(s.notes[0]);
  s.notes[1].program = 41;
  s.notes[1].start_time = 1.0;
  s.notes[1].end_time = 1.5;
  NoteRenderOptions o;
  o.schedule.follow_programs = true;
  NoteRenderReport r;
  const auto audio = render_mono16(s, g, nullptr, o, &r);
  EXPECT_EQ(r.generated, 2u);
  ASSERT_EQ(r.substituted_programs.size(), 1u);
  EXPECT_EQ(r.substituted_programs.at(41), "Strings B");
  // A forced timbre (follow_programs off) plays both notes alike.
  o.schedule.follow_programs = false;
  o.schedule.timbres = {"preset:Piano A"};
  render_mono16(s, g, nullptr, o, &r);
  EXPECT_EQ(r.generated, 1u);
}

TEST(Render, NoteLevelsKeepTheTrainingDataBalance) {
  // Piano A plays 14 dB above Strings B at MIDI 60; the typical level is the 90th percentile.
  std::vector<nlohmann::json> a(61, nullptr), b(61, nullptr);
  a[36] = -6.0;
  b[36] = -20.0;
  b[40] = -10.0;
  const std::string dir = test::temp_dir() + "/levels2";
  const Gansynth h = model_with_programs(dir, nlohmann::json({{"velocity", 100}, {"min_pitch", 24}, {"db", {{"Piano A", a}, {"Strings B", b}}}}).dump());
  const double pa = h.relative_level_db(h.timbre("preset:Piano A"), 60), pb = h.relative_level_db(h.timbre("preset:Strings B"), 60);
  EXPECT_NEAR(pa - pb, 14.0, 1e-9);
  EXPECT_NEAR(pa, 0.0, 1e-9);  // -6 is the 90th percentile of {-6, -20, -10}
  // A pitch without a note takes the preset's nearest one; a latent takes its nearest preset's.
  EXPECT_NEAR(h.relative_level_db(h.timbre("preset:Strings B"), 63), -4.0, 1e-9);
  EXPECT_NEAR(h.relative_level_db(h.timbre("preset:Kit"), 60), pa, 1e-9);  // no levels: the nearest preset's (Piano A)
  EXPECT_EQ(model().relative_level_db(model().timbre("seed:1"), 60), 0.0);
  // Bad levels are a clear error naming the card.
  const std::string bad = test::temp_dir() + "/bad-levels";
  try {
    model_with_programs(bad, R"({"min_pitch": 24, "db": {"Piano A": ["loud"]}})");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("note_levels"));
  }
}

TEST(Render, MorphSlerpsBetweenTimbresAtNoteStarts) {
  TimbreSchedule s;
  s.timbres = {"seed:1", "seed:2", "seed:3"};
  s.seconds_per_timbre = 4;
  const Gansynth& g = model();
  EXPECT_EQ(scheduled_timbre(g, s, 0.0, 0), g.timbre("seed:1"));
  EXPECT_EQ(scheduled_timbre(g, s, 4.0, 0), g.timbre("seed:2"));
  EXPECT_EQ(scheduled_timbre(g, s, 100.0, 0), g.timbre("seed:3"));
  EXPECT_EQ(scheduled_timbre(g, s, 6.0, 0), slerp(g.timbre("seed:2"), g.timbre("seed:3"), 0.5));
  s.track_timbres = {{2, "seed:9"}};
  EXPECT_EQ(scheduled_timbre(g, s, 6.0, 2), g.timbre("seed:9"));
  s.pad = parse_pad_position("0,1");
  s.corners = {"seed:1", "seed:2", "seed:3", "seed:4"};
  EXPECT_EQ(scheduled_timbre(g, s, 6.0, 0), g.timbre("seed:3"));
}

TEST(Render, SoftLimiterNeverClips) {
  EXPECT_EQ(soft_limit(0.5f), 0.5f);
  EXPECT_EQ(soft_limit(-0.7f), -0.7f);
  float last = 0;
  for (float x = 0; x < 50; x += 0.01f) {
    const float y = soft_limit(x);
    EXPECT_LT(y, 1.0f);
    EXPECT_GE(y, last);
    last = y;
  }
}

TEST(RenderCli, RenderAndGenerateWriteAudioAndMidi) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  model().save(dir + "/tiny");
  std::string out;
  ASSERT_EQ(test::run_command(bin + " render " + std::string(TIMBREL_SOURCE_DIR) + "/samples/twinkle.mid -o " + dir +
                                  "/t.flac --model " + dir + "/tiny --morph seed:1,seed:2 --sample-rate 48000 --no-drums",
                              &out, true),
            0)
      << out;
  Audio a = read_sound_file(dir + "/t.flac");
  EXPECT_EQ(a.sample_rate, 48000);
  EXPECT_GT(a.seconds(), 7.0);
  EXPECT_LE(a.peak(), 1.0f);
  ASSERT_EQ(test::run_command(bin + " generate -o " + dir + "/g.wav --bars 4 --seed 3 --model " + dir + "/tiny", &out, true), 0) << out;
  EXPECT_TRUE(test::file_exists(dir + "/g.mid"));
  EXPECT_GT(read_sound_file(dir + "/g.wav").seconds(), 7.9);  // 4 bars at 120 qpm + release
  EXPECT_NE(test::run_command(bin + " generate -o " + dir + "/odd.wav --bars 3 --model " + dir + "/tiny", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("--bars 3: must be a multiple of 2"));
  EXPECT_FALSE(test::file_exists(dir + "/odd.wav"));
  // A bad timbre fails before anything is written (neither the audio nor the MIDI).
  EXPECT_NE(test::run_command(bin + " generate -o " + dir + "/bad.wav --timbre preset:Nope --model " + dir + "/tiny", &out, true), 0);
  EXPECT_FALSE(test::file_exists(dir + "/bad.mid"));
  EXPECT_FALSE(test::file_exists(dir + "/bad.wav"));
  // So does an output that is not a sound file (the melody beside it would take its very name).
  EXPECT_NE(test::run_command(bin + " generate -o " + dir + "/song.mid --bars 2 --model " + dir + "/tiny", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("song.mid: unknown sound file extension '.mid' (use .wav or .flac)"));
  EXPECT_FALSE(test::file_exists(dir + "/song.mid"));
}

// Determinism: the same inputs and seed give byte-identical files on the same machine (the
// bundled models; sampling at a temperature above 0, a morph, drums).
TEST(RenderCli, SameSeedGivesByteIdenticalFiles) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY, src = TIMBREL_SOURCE_DIR;
  const std::vector<std::string> commands = {
      " generate --bars 4 --seed 9 --temperature 0.8 --drums --timbre seed:3 -o " + dir + "/RUN/g.wav",
      " render " + src + "/samples/twinkle.mid --morph preset:Flute,seed:5 --seconds-per-timbre 2 -o " + dir + "/RUN/r.wav",
      " sample --model " + src + "/models/melody-2bar -n 3 --temperature 1.0 --seed 4 -o " + dir + "/RUN/s.mid",
      " note --pitch 62 --timbre seed:8 -o " + dir + "/RUN/n.wav",
  };
  std::string out;
  for (const char* run : {"a", "b"}) {
    ASSERT_EQ(test::run_command("mkdir -p " + dir + "/" + run, &out), 0);
    for (std::string c : commands) {
      c.replace(c.find("RUN"), 3, run);
      ASSERT_EQ(test::run_command(bin + c, &out, true), 0) << c << "\n" << out;
    }
  }
  for (const char* f : {"g.wav", "g.mid", "r.wav", "s.mid", "n.wav"}) {
    const std::string a = test::read_text(dir + "/a/" + f), b = test::read_text(dir + "/b/" + f);
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_TRUE(a == b) << f << " differs between two runs";
  }
}

// Hardening: awkward but valid songs render correctly; absurd ones fail with a clear error.
TEST(Render, AwkwardSongsRenderAndAbsurdOnesFailClearly) {
  NoteRenderOptions o;
  // Zero-length notes: the release still sounds.
  auto zero = render_mono16(one_note(60, 0.5, 0.5, 100), model(), nullptr, o);
  EXPECT_GT(rms(zero, 0.5, 0.8), 0.0);
  EXPECT_EQ(rms(zero, 0.81, 0.9), 0.0);
  // 10,000 notes (a fast run over two octaves, overlapping): every note placed, the limiter holds.
  NoteSequence many;
  for (int i = 0; i < 10000; ++i) {
    Note n;
    n.pitch = 48 + i % 24;
    n.velocity = 40 + i % 80;
    n.start_time = i * 0.01;
    n.end_time = n.start_time + 0.05;
    many.notes.push_back(n);
  }
  NoteRenderReport r;
  auto audio = render_mono16(many, model(), nullptr, o, &r);
  EXPECT_EQ(r.notes, 10000u);
  EXPECT_EQ(r.generated, 24u);
  EXPECT_NEAR(audio.size() / 16000.0, 100.35, 0.01);
  for (float v : audio) ASSERT_LT(std::fabs(v), 1.0f);
  // A note that ends days later (e.g. a huge tempo value): an error before any allocation.
  try {
    render_mono16(one_note(60, 0.0, 86400.0 * 3, 100), model(), nullptr, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("song: lasts 72 h"));
    EXPECT_THAT(e.what(), HasSubstr("rendering to a file stops at 4 h"));
  }
}

TEST(RenderCli, EmptyMidiIsAClearErrorAndWritesNothing) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  const std::string empty = std::string("MThd\0\0\0\6\0\0\0\1\1\xe0MTrk\0\0\0\4\0\xff\x2f\0", 26);
  { std::ofstream(dir + "/empty.mid", std::ios::binary) << empty; }
  std::string out;
  EXPECT_NE(test::run_command(bin + " render " + dir + "/empty.mid -o " + dir + "/e.wav --device cpu", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("empty.mid: has no notes to render"));
  EXPECT_FALSE(test::file_exists(dir + "/e.wav"));
  // Only drums (channel 10): rendered by the drum model.
  const std::string drums = std::string("MThd\0\0\0\6\0\0\0\1\1\xe0MTrk\0\0\0\x0d\0\x99\x24\x40\x81\0\x89\x24\0\0\xff\x2f\0", 35);
  { std::ofstream(dir + "/drums.mid", std::ios::binary) << drums; }
  ASSERT_EQ(test::run_command(bin + " render " + dir + "/drums.mid -o " + dir + "/d.wav --device cpu", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("0 notes (1 drum)"));
  // Audible (-40 dBFS), not its level: the bundled kit's kick plays too quiet today (a known
  // failure of the drum model, see test_shipped_models).
  EXPECT_GT(read_sound_file(dir + "/d.wav").peak(), 0.01f);
  // The slowest tempo MIDI allows (16.7 s per quarter) and a note 2^27 ticks later: days of
  // music. An error naming the file, nothing written.
  const std::string slow = std::string("MThd\0\0\0\6\0\0\0\1\0\x01MTrk\0\0\0\x16\0\xff\x51\x03\xff\xff\xff"
                                       "\x40\x90\x3c\x40\xff\xff\xff\x7f\x80\x3c\0\0\xff\x2f\0", 44);
  { std::ofstream(dir + "/slow.mid", std::ios::binary) << slow; }
  EXPECT_NE(test::run_command(bin + " render " + dir + "/slow.mid -o " + dir + "/s.wav --device cpu", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("slow.mid: lasts"));
  EXPECT_FALSE(test::file_exists(dir + "/s.wav"));
}

// Out of device memory: the batch is halved and retried (the fault hook makes every batch above
// N notes fail, on any device); the file equals a render made at the batch that fits. When not
// even one note fits: an error, and no file.
TEST(RenderCli, OutOfMemoryHalvesTheBatchAndRetries) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY, src = TIMBREL_SOURCE_DIR;
  const std::string song = " render " + src + "/samples/twinkle.mid --timbre seed:2 --device cpu";
  std::string out;
  // 6 distinct melody notes: 6 -> 3 -> 1; 3 drum notes: 3 -> 1.
  ASSERT_EQ(test::run_command("TIMBREL_FAULT_OOM_ABOVE_BATCH=1 " + bin + song + " --batch 8 -o " + dir + "/oom.wav", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("out of host memory for a batch of 6 notes; retrying in batches of 3"));
  EXPECT_THAT(out, HasSubstr("out of host memory for a batch of 3 notes; retrying in batches of 1"));
  ASSERT_EQ(test::run_command(bin + song + " --batch 1 -o " + dir + "/fits.wav", &out, true), 0) << out;
  EXPECT_FALSE(test::read_text(dir + "/oom.wav").empty());
  EXPECT_TRUE(test::read_text(dir + "/oom.wav") == test::read_text(dir + "/fits.wav"));
  EXPECT_NE(test::run_command("TIMBREL_FAULT_OOM_ABOVE_BATCH=0 " + bin + song + " -o " + dir + "/none.wav", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("simulated out of memory (TIMBREL_FAULT_OOM_ABOVE_BATCH) (even for a single note)"));
  EXPECT_FALSE(test::file_exists(dir + "/none.wav"));
}

TEST(RenderCli, EvalSongSetsTheRenderBesideFluidSynth) {
  const std::string sf = "/usr/share/sounds/sf2/TimGM6mb.sf2";
  if (!test::file_exists(sf)) GTEST_SKIP() << "no " << sf << " (apt install timgm6mb-soundfont)";
  // FluidSynth plays melodic programs and the drum channel (its kit must be selected explicitly).
  NoteSequence drums = one_note(38, 0.1, 0.3, 100);
  drums.notes[0].is_drum = true;
  drums.notes[0].channel = 9;
  NoteSequence melody = one_note(60, 0.1, 0.6, 100);
  melody.notes[0].program = 40;
  for (const NoteSequence& seq : {drums, melody}) {
    const std::vector<float> a = train::render_sequence_with_soundfont(seq, sf);
    float peak = 0;
    for (float v : a) peak = std::max(peak, std::fabs(v));
    EXPECT_GT(peak, 0.01f);
    EXPECT_NEAR(double(a.size()), (seq.notes[0].end_time + 1.0) * 16000, 2);
  }
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY, src = TIMBREL_SOURCE_DIR;
  model().save(dir + "/tiny");
  std::string out;
  ASSERT_EQ(test::run_command(bin + " generate --bars 2 --drums --model " + dir + "/tiny --drum-model " + dir + "/tiny -o " + dir +
                                  "/g.wav --device cpu",
                              &out, true),
            0)
      << out;
  ASSERT_EQ(test::run_command(bin + " eval song " + dir + "/g.mid --model " + dir + "/tiny --drum-model " + dir + "/tiny --soundfont " +
                                  sf + " --compute cpu --json --png " + dir + "/g.png",
                              &out),
            0)
      << out;
  const nlohmann::json r = nlohmann::json::parse(out);
  for (const char* side : {"timbrel", "fluidsynth"}) {
    EXPECT_GT(r[side]["peak_db"].get<double>(), -40) << side;
    // 3-7.5 kHz is the sum of its two halves, a share of the whole that is neither 0 nor 1.
    const double whole = r[side]["band_3_7k5_fraction"].get<double>();
    EXPECT_NEAR(whole, r[side]["band_3_5k_fraction"].get<double>() + r[side]["band_5_7k5_fraction"].get<double>(), 1e-9 * whole) << side;
    EXPECT_GT(whole, 1e-6) << side;
    EXPECT_LT(whole, 0.9) << side;
    EXPECT_LT(r[side]["subsonic_fraction"].get<double>(), 0.5);
  }
  for (const char* k : {"band_3_5k_fraction", "centroid_hz"})
    EXPECT_NEAR(r["ratio_timbrel_to_fluidsynth"][k].get<double>(), r["timbrel"][k].get<double>() / r["fluidsynth"][k].get<double>(), 1e-9) << k;
  EXPECT_TRUE(test::file_exists(dir + "/g.png"));
  // A missing SoundFont is a clear error.
  EXPECT_EQ(test::run_command(bin + " eval song " + dir + "/g.mid --model " + dir + "/tiny --soundfont " + dir + "/none.sf2 --compute cpu",
                              &out, true),
            1);
  EXPECT_THAT(out, HasSubstr("none.sf2"));
}
