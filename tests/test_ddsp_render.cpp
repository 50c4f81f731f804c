// DDSP as a song engine: long curves in magenta.js's windows, notes -> voices -> audio through the
// Engine and the CLI, checked by an independent pitch tracker (aubio), spectra and levels. Uses
// Magenta's DDSP weights from ../shared/models-ext (skips without them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "render/ddsp_song.h"
#include "test_util.h"
#include "timbrel/ddsp.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/sound_file.h"
#include "train/audio_metrics.h"

using namespace timbrel;

namespace {

const std::string kDdspDir = std::string(TIMBREL_DEFAULT_SHARED_DIR) + "/models-ext/ddsp";
const std::string kViolin = kDdspDir + "/violin";

class DdspRender : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kViolin + "/model.json")) GTEST_SKIP() << "no " << kViolin << " (Magenta's DDSP weights, see ../shared/models-ext)";
  }
};

Note note(int pitch, double start, double end, int velocity = 100, int instrument = 0) {
  Note n;
  n.pitch = pitch;
  n.start_time = start;
  n.end_time = end;
  n.velocity = velocity;
  n.instrument = instrument;
  return n;
}

Audio render(const NoteSequence& seq, const std::string& model, NoteRenderReport* report = nullptr, double vibrato = 0) {
  EngineOptions p;
  p.ddsp_model = model;
  p.drum_model = std::string(TIMBREL_SOURCE_DIR) + "/models/gm-drums";
  Engine engine(p);
  NoteRenderOptions o;
  o.engine = TimbreEngine::Ddsp;
  o.ddsp.vibrato_cents = vibrato;
  o.sample_rate = 16000;  // mono, dry, at the models' rate: what these checks read
  o.channels = 1;
  o.room = false;
  return engine.render(seq, o, report);
}

std::vector<float> slice(const Audio& a, double from, double to) {
  const size_t b = size_t(from * a.sample_rate), e = std::min(a.samples.size(), size_t(to * a.sample_rate));
  return std::vector<float>(a.samples.begin() + long(b), a.samples.begin() + long(e));
}

// Beyond one 5 s window the decoder runs on windows 4 s apart: a frame inside one window only is
// that window's output; in an overlap the two windows' outputs cross-fade linearly.
TEST_F(DdspRender, LongCurvesCrossFadeTheWindowsDecoders) {
  Ddsp violin = Ddsp::load(kViolin);
  const size_t T = 2600;
  std::vector<float> f0(T), ld(T);
  for (size_t t = 0; t < T; ++t) {
    f0[t] = float(220 * std::pow(2.0, double(t % 700) / 700));
    ld[t] = float(-70 + 20 * std::sin(double(t) / 90));
  }
  auto part = [&](size_t from) {
    std::vector<float> a(f0.begin() + long(from), f0.begin() + long(std::min(T, from + 1250)));
    std::vector<float> b(ld.begin() + long(from), ld.begin() + long(std::min(T, from + 1250)));
    return violin.controls(a, b);
  };
  const DdspControls whole = violin.controls(f0, ld), w0 = part(0), w1 = part(1000), w2 = part(2000);
  ASSERT_EQ(whole.frames, T);
  EXPECT_NEAR(whole.amplitude[500], w0.amplitude[500], 1e-6);
  EXPECT_NEAR(whole.amplitude[1600], w1.amplitude[600], 1e-6);
  EXPECT_NEAR(whole.amplitude[2500], w2.amplitude[500], 1e-6);
  const size_t t = 1100;  // 100 frames into the first overlap
  const float rise = 100.5f / 250;
  EXPECT_NEAR(whole.amplitude[t], (1 - rise) * w0.amplitude[t] + rise * w1.amplitude[t - 1000], 1e-6);
  EXPECT_NEAR(whole.noise[t * 65 + 7], (1 - rise) * w0.noise[t * 65 + 7] + rise * w1.noise[(t - 1000) * 65 + 7], 1e-6);
  EXPECT_GT(std::fabs(w0.amplitude[t] - w1.amplitude[t - 1000]), 1e-4);  // the fade is not between equals
}

// A chromatic sweep over the two octaves around the violin's mean pitch: every note pitched and in
// tune by aubio, levels even. The worst case is printed beside the mean.
TEST_F(DdspRender, EveryPitchOfTheViolinSweepIsInTune) {
  if (!train::aubiopitch_available()) GTEST_SKIP() << "no aubiopitch (apt install aubio-tools)";
  NoteSequence seq;
  for (int p = 50; p <= 74; ++p) seq.add_note(note(p, (p - 50) * 1.0, (p - 50) * 1.0 + 0.8));
  NoteRenderReport report;
  const Audio a = render(seq, kViolin, &report);
  EXPECT_EQ(report.notes, 25u);
  EXPECT_EQ(report.ddsp_voices, 1u);
  EXPECT_TRUE(report.octave_shifts.empty());
  const std::string wav = test::temp_dir() + "/t.wav";
  double worst_cents = 0, sum_cents = 0, worst_hnr = 1e9, lo_db = 1e9, hi_db = -1e9;
  for (int p = 50; p <= 74; ++p) {
    const std::vector<float> n = slice(a, (p - 50) * 1.0, (p - 50) * 1.0 + 1.0);
    const double tracked = train::aubio_median_pitch(n, a.sample_rate, wav, 0.2, 0.75);
    ASSERT_TRUE(std::isfinite(tracked)) << "pitch " << p << " unpitched";
    const double cents = std::fabs(tracked - p) * 100;
    worst_cents = std::max(worst_cents, cents);
    sum_cents += cents;
    worst_hnr = std::min(worst_hnr, train::harmonic_to_noise_db(n, p));
    const double level = train::loudness_db(n, 0.2, 0.75);
    lo_db = std::min(lo_db, level), hi_db = std::max(hi_db, level);
    EXPECT_LT(cents, 20) << "pitch " << p << " tracked at " << tracked;
  }
  std::printf("violin sweep 50..74: |cents| mean %.1f worst %.1f; HNR worst %.1f dB; level spread %.1f dB\n", sum_cents / 25,
              worst_cents, worst_hnr, hi_db - lo_db);
  EXPECT_GT(worst_hnr, 10);
  EXPECT_LT(hi_db - lo_db, 12);
}

// A chord becomes three voices, each at its pitch; drum notes still go to the drum model; a part far
// above the model moves down by octaves (reported); velocity sets the loudness.
TEST_F(DdspRender, ChordsDrumsOctavesAndVelocity) {
  NoteSequence seq;
  for (int p : {60, 64, 67}) seq.add_note(note(p, 0, 1.5));
  Note kick = note(36, 0, 0.2);
  kick.is_drum = true;
  kick.channel = 9;
  kick.instrument = 9;
  seq.add_note(kick);
  NoteRenderReport report;
  const Audio a = render(seq, kViolin, &report);
  EXPECT_EQ(report.ddsp_voices, 3u);
  EXPECT_EQ(report.drum_notes, 1u);
  const std::vector<double> power = train::power_spectrum(a.samples, 8000, 14000, 65536);
  auto energy_near = [&](double hz) {
    double e = 0;
    const double bin = 16000.0 / 65536;
    for (size_t k = size_t((hz - 4) / bin); k <= size_t((hz + 4) / bin); ++k) e += power[k];
    return e;
  };
  const double between = energy_near(295);  // between C and E: no note there
  for (double hz : {261.63, 329.63, 392.0}) EXPECT_GT(energy_near(hz), 30 * between) << hz;

  NoteSequence high;
  for (int i = 0; i < 4; ++i) high.add_note(note(96 + i, i * 0.5, i * 0.5 + 0.4));
  NoteRenderReport shifted;
  render(high, kViolin, &shifted);
  ASSERT_EQ(shifted.octave_shifts.size(), 1u);
  EXPECT_EQ(shifted.octave_shifts.begin()->second, -2);  // mean 97.5 -> 73.5, within an octave of 62

  NoteSequence dynamics;
  dynamics.add_note(note(62, 0, 1.0, 127));
  dynamics.add_note(note(62, 1.5, 2.5, 40));
  const Audio d = render(dynamics, kViolin);
  const double loud = train::loudness_db(d.samples, 0.3, 0.9), soft = train::loudness_db(d.samples, 1.8, 2.4);
  std::printf("velocity 127 vs 40: %.1f vs %.1f dBFS\n", loud, soft);
  EXPECT_GT(loud - soft, 6);
  EXPECT_LT(train::peak_db(d.samples), -1.0);  // calibrated near the GANSynth notes' level, under the limiter
}

// The CLI: a General MIDI song through a folder of DDSP models (each program by its family), a
// DDSP note from a pitch, and clear errors.
TEST_F(DdspRender, CliRendersSongsAndNotes) {
  if (!std::filesystem::exists(kDdspDir + "/trumpet/model.json")) GTEST_SKIP() << "no DDSP trumpet";
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  NoteSequence seq;
  for (int i = 0; i < 4; ++i) {
    Note v = note(67 + i, i * 0.5, i * 0.5 + 0.45, 100, 0);
    v.program = 40;  // violin
    seq.add_note(v);
    Note t = note(60 + i, i * 0.5, i * 0.5 + 0.45, 100, 1);
    t.program = 56;  // trumpet
    t.channel = 1;
    seq.add_note(t);
  }
  write_midi(seq, dir + "/duet.mid");
  std::string out;
  ASSERT_EQ(test::run_command(bin + " render " + dir + "/duet.mid -o " + dir + "/duet.wav --engine ddsp --ddsp-model " + kDdspDir, &out, true), 0)
      << out;
  EXPECT_NE(out.find("in 2 voices"), std::string::npos) << out;
  const Audio song = read_sound_file(dir + "/duet.wav");
  EXPECT_GT(song.seconds(), 2.0);
  EXPECT_GT(train::peak_db(song.samples), -20);

  ASSERT_EQ(test::run_command(bin + " note --engine ddsp -m " + kViolin + " --pitch 67 --duration 1 -o " + dir + "/n.wav", &out, true), 0)
      << out;
  EXPECT_NEAR(read_sound_file(dir + "/n.wav").seconds(), 1.0 + 0.25 + 0.2, 0.05);

  EXPECT_NE(test::run_command(bin + " render " + dir + "/duet.mid -o " + dir + "/x.wav --engine ddsp --ddsp-model " + dir + "/none", &out, true), 0);
  EXPECT_NE(out.find(dir + "/none"), std::string::npos) << out;
  EXPECT_NE(test::run_command(bin + " render " + dir + "/duet.mid -o " + dir + "/x.wav --engine ddsp --ddsp-model " + kDdspDir +
                                  " --timbre preset:Flute",
                              &out, true),
            0);
  EXPECT_NE(out.find("--timbre"), std::string::npos) << out;
  EXPECT_FALSE(test::file_exists(dir + "/x.wav"));
}

// A preset's learned envelope shapes the notes a song plays: a shape falling 30 dB over its 1.5 s
// makes the held note fall about as far (the decoder maps loudness to level), and turning learned
// envelopes off restores the flat hold.
TEST_F(DdspRender, ALearnedEnvelopeMakesHeldNotesDecay) {
  const Ddsp violin = Ddsp::load(kViolin);
  DdspVoice voice{&violin, "violin", {}, {}};
  voice.envelopes.rate = 50;
  voice.envelopes.bands.emplace_back();
  for (int k = 0; k <= 75; ++k) voice.envelopes.bands[0].push_back(-30.0f * float(k) / 75.0f);
  NoteSequence seq;
  seq.notes.push_back(note(67, 0.0, 2.0, 127));
  NoteRenderOptions o;
  o.engine = TimbreEngine::Ddsp;
  o.ddsp.vibrato_cents = 0;
  NoteRenderReport report;
  const auto level_fall_db = [&](bool learned) {
    o.ddsp.learned_envelopes = learned;
    const std::vector<float> a = sum_stems(render_ddsp_notes(seq, [&](int) { return voice; }, o, report));
    return train::loudness_db(a, 0.2, 0.4) - train::loudness_db(a, 1.4, 1.6);
  };
  const double flat = level_fall_db(false), shaped = level_fall_db(true);
  EXPECT_LT(std::fabs(flat), 3.0);
  EXPECT_GT(shaped, 12.0);  // the shape falls 24 dB between the two stretches
}

// A legato line glides on a violin (program 40) and steps on a piano (program 0): struck and plucked
// instruments take no glide (and no vibrato). Measured 25 ms into the second note (half the glide).
TEST_F(DdspRender, StruckInstrumentsDoNotGlide) {
  const Ddsp violin = Ddsp::load(kViolin);
  const auto period_at = [&](int program) {
    NoteSequence seq;
    seq.notes.push_back(note(60, 0.0, 1.0, 110));
    seq.notes.push_back(note(67, 1.0, 2.0, 110));
    for (Note& n : seq.notes) n.program = program;
    NoteRenderOptions o;
    o.engine = TimbreEngine::Ddsp;
    NoteRenderReport report;
    const std::vector<float> a = sum_stems(render_ddsp_notes(seq, [&](int) { return DdspVoice{&violin, "violin", {}, {}}; }, o, report));
    double best = -1;
    int at = 0;
    for (int lag = 36; lag < 62; ++lag) {  // MIDI 67 (40.8 samples) .. 60 (61.2)
      double c = 0;
      for (size_t i = 16400; i < 16700; ++i) c += double(a[i]) * a[i + size_t(lag)];
      if (c > best) best = c, at = lag;
    }
    return at;
  };
  EXPECT_NEAR(period_at(0), 16000 / 392.0, 1.5);  // the piano is at G4 already
  EXPECT_GT(period_at(40), 16000 / 392.0 + 3);    // the violin is still on its way up from C4
}

}  // namespace

