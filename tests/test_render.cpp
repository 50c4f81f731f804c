// NoteRenderer: placement, envelope, velocity, caching, long notes, range handling, timbre
// schedules, the limiter, and the render/generate commands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/musicvae.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

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
  auto audio = render_sequence(one_note(60, 1.0, 1.5, 127), model(), nullptr, o, &r);
  EXPECT_EQ(r.notes, 1u);
  EXPECT_EQ(r.generated, 1u);
  ASSERT_EQ(audio.size(), size_t(std::ceil(1.8 * 16000)) + 1);
  // Independently: the generator's note through the spectral core, peak-normalised, x 0.5 (velocity
  // 127), with a 10 ms linear attack and a 0.3 s linear release after 0.5 s.
  auto spec = model().generate(model().timbre("seed:4"), {60});
  auto note = spectrogram_to_audio(spec, InverseOptions{});
  float peak = 0;
  for (float v : note) peak = std::max(peak, std::fabs(v));
  double worst = 0;
  for (size_t i = 0; i < audio.size(); ++i) {
    double expected = 0;
    if (i >= 16000) {
      const double t = double(i - 16000);
      double env = t < 160 ? t / 160 : 1.0;
      if (t >= 8000) env *= std::max(0.0, 1 - (t - 8000) / 4800);
      expected = t < 8000 + 4800 ? env * 0.5 * note[size_t(t)] / peak : 0.0;
    }
    worst = std::max(worst, std::fabs(double(audio[i]) - double(soft_limit(float(expected)))));
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
  auto audio = render_sequence(s, model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.generated, 1u);
  EXPECT_NEAR(rms(audio, 2.0, 2.5) / rms(audio, 0.0, 0.5), 40.0 / 127.0, 1e-3);
  EXPECT_LE(r.peak_before_limiter, 0.5 + 1e-6);
}

TEST(Render, LongNotesAreSustainedNotCut) {
  auto audio = render_sequence(one_note(60, 0.0, 9.0, 127), model(), nullptr, NoteRenderOptions{});
  const double early = rms(audio, 0.5, 1.5);
  ASSERT_GT(early, 0);
  EXPECT_GT(rms(audio, 7.5, 8.5), 0.3 * early);
  EXPECT_EQ(audio.size(), size_t(std::ceil(9.3 * 16000)) + 1);
}

TEST(Render, OutOfRangePitchesMoveByOctavesUnlessStrict) {
  NoteRenderReport r;
  auto audio = render_sequence(one_note(96, 0, 0.5, 100), model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.transposed, 1u);
  auto same = render_sequence(one_note(84, 0, 0.5, 100), model(), nullptr, NoteRenderOptions{});
  EXPECT_EQ(audio, same);  // 96 -> 84
  NoteRenderOptions strict;
  strict.strict = true;
  try {
    render_sequence(one_note(96, 0, 0.5, 100), model(), nullptr, strict);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("outside the model's range 24..84"));
  }
}

TEST(Render, DrumNotesNeedADrumModel) {
  NoteSequence s = one_note(38, 0, 0.2, 100);
  s.notes[0].is_drum = true;
  NoteRenderReport r;
  auto silent = render_sequence(s, model(), nullptr, NoteRenderOptions{}, &r);
  EXPECT_EQ(r.skipped_drums, 1u);
  auto played = render_sequence(s, model(), &model(), NoteRenderOptions{}, &r);
  EXPECT_EQ(r.drum_notes, 1u);
  EXPECT_GT(rms(played, 0, 0.2), 0.0);
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
  s.pad = "0,1";
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
  EXPECT_THAT(out, HasSubstr("must be even"));
  EXPECT_FALSE(test::file_exists(dir + "/odd.wav"));
  // A bad timbre fails before anything is written (neither the audio nor the MIDI).
  EXPECT_NE(test::run_command(bin + " generate -o " + dir + "/bad.wav --timbre preset:Nope --model " + dir + "/tiny", &out, true), 0);
  EXPECT_FALSE(test::file_exists(dir + "/bad.mid"));
  EXPECT_FALSE(test::file_exists(dir + "/bad.wav"));
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
  auto zero = render_sequence(one_note(60, 0.5, 0.5, 100), model(), nullptr, o);
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
  auto audio = render_sequence(many, model(), nullptr, o, &r);
  EXPECT_EQ(r.notes, 10000u);
  EXPECT_EQ(r.generated, 24u);
  EXPECT_NEAR(audio.size() / 16000.0, 100.35, 0.01);
  for (float v : audio) ASSERT_LT(std::fabs(v), 1.0f);
  // A note that ends days later (e.g. a huge tempo value): an error before any allocation.
  try {
    render_sequence(one_note(60, 0.0, 86400.0 * 3, 100), model(), nullptr, o);
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
  EXPECT_GT(read_sound_file(dir + "/d.wav").peak(), 0.05f);
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
