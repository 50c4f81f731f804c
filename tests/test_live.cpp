// Live playing: the voice cache and its envelope, note-on latency, timbre changes while playing
// (without allocating in the callback), and MIDI through a virtual JACK MIDI port.
#include <RtMidi.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "jack_server.h"
#include "render/ddsp_bank.h"
#include "render/drum_highs.h"
#include "render/live_synth.h"
#include "render/gm_sends.h"
#include "render/note_renderer.h"
#include "render/room.h"
#include "render/sustain.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/groove.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

using namespace timbrel;

namespace timbrel::test {
extern std::atomic<long> g_callback_allocations, g_callback_locks;
}

namespace {

const Gansynth& bundled() {
  static Gansynth g = Gansynth::load(std::string(TIMBREL_SOURCE_DIR) + "/models/gm-timbres");
  return g;
}

// `frames` interleaved stereo frames from the synth, rendered `block` frames at a time.
std::vector<float> run_stereo(LiveSynth& synth, size_t frames, size_t block = 256) {
  std::vector<float> out(2 * frames);
  for (size_t at = 0; at < frames; at += block) synth.render(out.data() + 2 * at, std::min(block, frames - at));
  return out;
}

// One side (0 = left, 1 = right) of interleaved stereo.
std::vector<float> side(const std::vector<float>& stereo, int c) {
  std::vector<float> out(stereo.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = stereo[2 * i + size_t(c)];
  return out;
}

// The synth's output as the mono note it pans: (L + R) / sqrt 2 undoes the centre's -3 dB per side.
std::vector<float> run(LiveSynth& synth, size_t frames, size_t block = 256) {
  const std::vector<float> stereo = run_stereo(synth, frames, block);
  std::vector<float> out(frames);
  for (size_t i = 0; i < frames; ++i) out[i] = (stereo[2 * i] + stereo[2 * i + 1]) / float(M_SQRT2);
  return out;
}

double rms(const std::vector<float>& a, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += double(a[i]) * a[i];
  return std::sqrt(s / double(to - from));
}

// The dominant period of a (mono) stretch, by autocorrelation over lags [lo, hi).
int period_of(const std::vector<float>& x, size_t from, size_t to, int lo, int hi) {
  double best = -1;
  int at = lo;
  for (int lag = lo; lag < hi; ++lag) {
    double c = 0;
    for (size_t i = from; i + size_t(lag) < to; ++i) c += double(x[i]) * x[i + size_t(lag)];
    if (c > best) best = c, at = lag;
  }
  return at;
}

// A sequence of one note from time 0.
NoteSequence one_note(int pitch, int velocity, double end, int program = 0) {
  NoteSequence seq;
  Note n;
  n.pitch = pitch;
  n.velocity = velocity;
  n.program = program;
  n.start_time = 0;
  n.end_time = end;
  seq.notes.push_back(n);
  return seq;
}

}  // namespace

TEST(LiveSynth, PlaysTheNoteTheFileRendererPlays) {
  LiveSynth synth(bundled(), 48000, "preset:Flute");
  EXPECT_EQ(synth.caches_rendered(), 1u);
  synth.note_on(67, 100);
  const std::vector<float> held = run(synth, 48000 * 2);  // 2 s held
  synth.note_off(67);
  const std::vector<float> tail = run(synth, 48000 / 2);

  // The same note, 2 s long, through the file renderer at 48 kHz (an independent path: envelope at
  // 16 kHz then resampling the mix, where the live path resamples first).
  const NoteSequence seq = one_note(67, 100, 2.0);
  NoteRenderOptions o;
  o.schedule.timbres = {"preset:Flute"};
  o.sample_rate = 48000;
  o.channels = 1;
  o.room = false;
  const std::vector<float> want = render_sequence(seq, bundled(), nullptr, o).samples;
  double err = 0, sig = 0;
  for (size_t i = 0; i < held.size(); ++i) {
    err += std::pow(double(held[i]) - want[i], 2);
    sig += double(want[i]) * want[i];
  }
  EXPECT_GT(10 * std::log10(sig / err), 30.0);  // equal but for resampling order at the edges
  // The release: 0.3 s linear, then silence (below -100 dBFS while the DC blocker rings out).
  EXPECT_GT(rms(tail, 0, 4800), 0.01);
  EXPECT_LT(rms(tail, 48000 * 3 / 10 + 1, tail.size()), 1e-5);
}

TEST(LiveSynth, ANoteSoundsInTheVeryNextBuffer) {
  LiveSynth synth(bundled(), 48000, "preset:Flute");
  std::vector<float> buffer(2 * 256);
  synth.render(buffer.data(), 256);
  EXPECT_EQ(rms(buffer, 0, 512), 0.0);
  synth.note_on(60, 127);
  synth.render(buffer.data(), 256);
  // Linear attack from 0: frame 0 is silent, the rest of this first buffer is not.
  EXPECT_GT(rms(buffer, 2, 512), 1e-4);
  EXPECT_EQ(synth.notes_played(), 1u);
}

TEST(LiveSynth, SustainPedalHoldsNotesUntilReleased) {
  LiveSynth synth(bundled(), 48000, "preset:Flute");
  synth.sustain(true);
  synth.note_on(60, 127);
  run(synth, 4800);
  synth.note_off(60);
  EXPECT_GT(rms(run(synth, 48000), 47000, 48000), 0.01);  // still sounding 1 s later
  synth.sustain(false);
  const auto after = run(synth, 48000);
  EXPECT_LT(rms(after, 48000 * 3 / 10 + 256, 48000), 1e-5);  // the DC blocker's tail only
}

TEST(LiveSynth, ChangesTimbreWhilePlayingWithoutAllocatingInTheCallback) {
  LiveSynth synth(bundled(), 48000, "preset:Flute");
  synth.note_on(60, 100);
  std::vector<float> buffer(2 * 256);
  OutputTap tap;  // rendered through output_fill: the guard counts only inside the callback's scope
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  synth.set_timbre("preset:Cello");
  const auto t0 = std::chrono::steady_clock::now();
  int buffers = 0;
  // Played in real time by this thread while the worker renders the new cache.
  while (synth.current_timbre() != "preset:Cello" && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
    output_fill(synth, tap, buffer.data(), 256, 2);
    ++buffers;
    std::this_thread::sleep_for(std::chrono::microseconds(5333));
  }
  EXPECT_EQ(synth.current_timbre(), "preset:Cello");
  EXPECT_GT(buffers, 10);           // playing went on during the re-render
  EXPECT_GT(rms(buffer, 0, 512), 0.0);  // the old note still sounds from the old cache
  synth.note_off(60);
  synth.note_on(62, 100);  // a new note from the new cache
  for (int i = 0; i < 300; ++i) output_fill(synth, tap, buffer.data(), 256, 2);  // the old cache is let go
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  EXPECT_EQ(synth.caches_rendered(), 2u);
  EXPECT_THROW(synth.set_timbre("preset:No Such Thing"), Error);
}

// Live DDSP (Magenta's violin from ../shared/models-ext; skips without it).
class LiveDdsp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kViolin + "/model.json")) GTEST_SKIP() << "no " << kViolin << " (Magenta's DDSP weights)";
    bank_ = std::make_unique<DdspBank>(kViolin);
  }
  // How far the level of a 7 s hold strays: the largest deviation of a 10 ms block from the
  // median, in dB, from 1 s on (the cache holds 3 s: the loop's seams come every ~1.4 s).
  static double level_swing_db(LiveSynth& synth, int pitch) {
    synth.note_on(pitch, 127);
    const std::vector<float> held = run(synth, 48000 * 7);
    synth.all_notes_off();
    run(synth, 48000);
    std::vector<double> blocks;
    for (size_t at = 48000; at + 480 <= held.size(); at += 480) blocks.push_back(rms(held, at, at + 480));
    std::vector<double> sorted = blocks;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    return std::max(20 * std::log10(sorted.back() / median), -20 * std::log10(sorted.front() / median));
  }
  static inline const std::string kViolin = std::string(TIMBREL_DEFAULT_SHARED_DIR) + "/models-ext/ddsp/violin";
  std::unique_ptr<DdspBank> bank_;
};

// The shipped models/ddsp-gm live: a piano (struck) held 5 s dies away along its learned envelope
// and is silent once its 3 s are played; a violin preset held as long keeps sounding.
TEST(LiveDdspShipped, StruckPresetsDieAwayWhileBowedOnesHold) {
  const DdspBank bank(std::string(TIMBREL_SOURCE_DIR) + "/models/ddsp-gm");
  LiveSynth piano(ddsp_instrument(bank, {}), 16000, "program:0");
  piano.note_on(60, 127);
  const std::vector<float> p = run(piano, 16000 * 5);
  EXPECT_GT(20 * std::log10(rms(p, 3200, 6400) / rms(p, 35200, 38400)), 10.0);  // 0.2-0.4 s against 2.2-2.4 s
  EXPECT_LT(rms(p, 16000 * 32 / 10, p.size()), 1e-4);                            // silent after 3.2 s, key still down
  LiveSynth violin(ddsp_instrument(bank, {}), 16000, "program:40");
  violin.note_on(60, 127);
  const std::vector<float> v = run(violin, 16000 * 5);
  EXPECT_LT(std::fabs(20 * std::log10(rms(v, 72000, 80000) / rms(v, 8000, 16000))), 6.0);  // 4.5-5 s against 0.5-1 s
}

// A periodic instrument whose loop is cut at any length, as GANSynth's (to show the seam check can fail).
class AnyLengthLoops final : public LiveInstrument {
 public:
  explicit AnyLengthLoops(std::unique_ptr<LiveInstrument> inner) : inner_(std::move(inner)) {}
  void check_timbre(const std::string& t) const override { inner_->check_timbre(t); }
  std::pair<int, int> pitch_range(const std::string& t) const override { return inner_->pitch_range(t); }
  std::vector<std::string> programs() const override { return inner_->programs(); }
  std::vector<std::vector<float>> held_notes(const std::string& t, int first, int count) const override {
    return inner_->held_notes(t, first, count);
  }
  int batch(const std::string& t) const override { return inner_->batch(t); }

 private:
  std::unique_ptr<LiveInstrument> inner_;
};

TEST_F(LiveDdsp, AHeldKeySoundsSteadilyForAsLongAsItIsHeld) {
  LiveSynth synth(ddsp_instrument(*bank_, {}), 48000, "program:40");
  EXPECT_EQ(synth.current_timbre(), "program:40");
  EXPECT_EQ(synth.highest_pitch() - synth.lowest_pitch(), 24);  // an octave either side of its mean pitch
  // 7 s held: the level stays within 2 dB of its median at every other pitch, seams included
  // (measured: 0.4-1.8 dB; loops of any length with equal-power seams: up to 5.1 dB).
  for (int pitch = synth.lowest_pitch(); pitch <= synth.highest_pitch(); pitch += 2)
    EXPECT_LT(level_swing_db(synth, pitch), 2.0) << pitch;
  // Released: silent after the release (0.3 s) but for the DC blocker's tail (dry: the violin's
  // own reverb send would ring on).
  synth.control_change(gm::kReverbSend, 0);
  synth.note_on(69, 100);
  run(synth, 48000);
  synth.note_off(69);
  const std::vector<float> tail = run(synth, 48000 / 2);
  EXPECT_GT(rms(tail, 0, 4800), 1e-3);
  EXPECT_LT(rms(tail, 48000 * 3 / 10 + 1, tail.size()), 1e-5);
}

// Without whole periods and an in-phase fade, some seams swell or dip (as GANSynth's loops may).
TEST_F(LiveDdsp, LoopsOfAnyLengthSwellAtTheirSeams) {
  LiveSynth whole(ddsp_instrument(*bank_, {}), 48000, "program:40");
  LiveSynth any(std::make_unique<AnyLengthLoops>(ddsp_instrument(*bank_, {})), 48000, "program:40");
  double worst_whole = 0, worst_any = 0;
  for (int pitch = whole.lowest_pitch(); pitch <= whole.highest_pitch(); pitch += 2) {
    worst_whole = std::max(worst_whole, level_swing_db(whole, pitch));
    worst_any = std::max(worst_any, level_swing_db(any, pitch));
  }
  EXPECT_GT(worst_any, worst_whole + 1.0);
}

TEST_F(LiveDdsp, PlaysInTuneAndAtTheFileRenderersLevel) {
  LiveSynth synth(ddsp_instrument(*bank_, {}), 16000, "program:40");
  synth.note_on(69, 127);
  const std::vector<float> held = run(synth, 16000 * 2);
  // The pitch over 1..2 s: A4's period (36.36 samples at 16 kHz).
  EXPECT_NEAR(period_of(held, 16000, 32000, 30, 44), 16000 / 440.0, 1.0);
  // The same note as the file renderer's DDSP path plays it (no vibrato): the same level within 1 dB.
  const NoteSequence seq = one_note(69, 127, 2.5, 40);
  NoteRenderOptions o;
  o.engine = TimbreEngine::Ddsp;
  o.ddsp.vibrato_cents = 0;
  NoteRenderReport report;
  const std::vector<float> want = sum_stems(render_ddsp_notes(seq, [&](int program) { return bank_->voice(program); }, o, report));
  EXPECT_NEAR(20 * std::log10(rms(held, 8000, 32000) / rms(want, 8000, 32000)), 0.0, 1.0);
}

TEST_F(LiveDdsp, BadTimbresAreErrors) {
  EXPECT_THROW(LiveSynth(ddsp_instrument(*bank_, {}), 48000, "program:200"), Error);
  EXPECT_THROW(LiveSynth(ddsp_instrument(*bank_, {}), 48000, "seed:3"), Error);
  EXPECT_THROW(LiveSynth(ddsp_instrument(*bank_, {}), 48000, "preset:Violin"), Error);  // Magenta's violin has no presets
}

TEST(PlayLiveThroughJack, PlaysNotesFromAVirtualMidiPort) {
  std::string why;
  auto server = test::JackServer::start(&why);
  if (!server) GTEST_SKIP() << "no JACK server: " << why;
  LivePlayOptions o;
  o.timbre = "preset:Flute";
  o.programs = {"preset:Flute", "preset:Cello"};
  o.midi_api = MidiBackend::Jack;
  o.seconds = 7;
  o.record = test::temp_dir() + "/live.wav";
  o.record_format = SampleFormat::Float32;
  std::atomic<bool> ready{false};
  o.status = [&](const std::string& m) {
    if (m.rfind("ready", 0) == 0) ready = true;
  };
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  LivePlayReport report;
  std::thread player([&] { report = play_live(bundled(), o); });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  // A second RtMidi client, as a keyboard would be, connected to timbrel:in.
  RtMidiOut keyboard(RtMidi::UNIX_JACK, "keyboard");
  keyboard.openVirtualPort("out");
  ASSERT_EQ(test::run_command("jack_connect keyboard:out timbrel:in", nullptr), 0);
  auto send = [&](std::vector<unsigned char> m) { keyboard.sendMessage(&m); };
  send({0x90, 60, 110});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  send({0x80, 60, 0});
  send({0xC0, 1});  // program change: Cello, rendered in the background
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  send({0x90, 64, 110});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  send({0x80, 64, 0});
  player.join();

  EXPECT_EQ(report.notes, 2u);
  EXPECT_EQ(report.timbre_changes, 1u);
  EXPECT_EQ(report.underruns, 0u);
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  const Audio rec = mix_to_mono(read_sound_file(o.record));
  EXPECT_GT(rec.seconds(), 6.0);
  double loud = 0;
  for (float v : rec.samples) loud = std::max(loud, double(std::fabs(v)));
  EXPECT_GT(loud, 0.1);
}


// play --live --tap through JACK: four taps in a bar come back as drums (channel 10's kit) in the
// next bar, each where its tap fell in the bar.
TEST(PlayLiveThroughJack, TapsComeBackAsDrumsInTheNextBar) {
  std::string why;
  auto server = test::JackServer::start(&why);
  if (!server) GTEST_SKIP() << "no JACK server: " << why;
  const std::string kit = std::string(TIMBREL_SOURCE_DIR) + "/models/gm-drums";
  const Gansynth drums = Gansynth::load(kit);
  const std::optional<DrumHighs> highs = DrumHighs::load_beside(kit);
  const GrooveModel drumify = GrooveModel::load(std::string(TIMBREL_SOURCE_DIR) + "/models/groove-drumify");
  LivePlayOptions o;
  o.timbre = "preset:Flute";
  o.midi_api = MidiBackend::Jack;
  o.seconds = 8;
  o.record = test::temp_dir() + "/tap.wav";
  o.record_format = SampleFormat::Float32;
  o.tap_model = &drumify;
  o.tap_qpm = 120;  // bars of 2 s
  std::atomic<bool> ready{false};
  o.status = [&](const std::string& m) {
    if (m.rfind("ready", 0) == 0) ready = true;
  };
  test::g_callback_allocations = 0;
  LivePlayReport report;
  std::thread player([&] { report = play_live(bundled(), o, &drums, highs ? &*highs : nullptr); });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the kit's cache too
  RtMidiOut keyboard(RtMidi::UNIX_JACK, "keyboard");
  keyboard.openVirtualPort("out");
  ASSERT_EQ(test::run_command("jack_connect keyboard:out timbrel:in", nullptr), 0);
  for (int beat = 0; beat < 4; ++beat) {  // quarter notes on the flute
    std::vector<unsigned char> on{0x90, 72, 60}, off{0x80, 72, 0};
    keyboard.sendMessage(&on);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    keyboard.sendMessage(&off);
    std::this_thread::sleep_for(std::chrono::milliseconds(470));
  }
  player.join();
  EXPECT_EQ(report.beats, 1u);
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  const Audio rec = mix_to_mono(read_sound_file(o.record));
  const size_t rate = size_t(rec.sample_rate);
  auto first_above = [&](size_t from, float level) {
    while (from < rec.samples.size() && std::fabs(rec.samples[from]) < level) ++from;
    return from;
  };
  const size_t tap = first_above(0, 1e-4f);  // the first tap's flute
  ASSERT_LT(tap + 5 * rate, rec.samples.size());
  // Each quarter of the next bar (where no key is played) starts with a drum: the loudest rise of
  // 2.5 ms frames over the 10 ms before them lies within 60 ms of the tap's place, under half a
  // sixteenth (measured 4 to 27 ms early on an idle machine and up to 39 ms with two busy cores: the
  // MIDI and audio cycles jitter and a busy dummy server drops cycles; LiveDrummer's test times
  // the beat exactly).
  const size_t frame = rate / 400;
  for (int beat = 0; beat < 4; ++beat) {
    const size_t due = tap + 2 * rate + size_t(beat) * rate / 2;
    double best = 0, at = 0;
    for (size_t f = due - rate / 10; f < due + rate / 10; f += frame) {
      const double rise = rms(rec.samples, f, f + frame) / (rms(rec.samples, f - 4 * frame, f) + 1e-4);
      if (rise > best) best = rise, at = (double(f) - double(due)) / double(rate);
    }
    EXPECT_GT(best, 3.0) << "beat " << beat;
    EXPECT_LT(std::abs(at), 0.06) << "beat " << beat;
    std::printf("beat %d: rise %.1f at %+.4f s\n", beat, best, at);
  }
  const double beat_level = rms(rec.samples, tap + 2 * rate, tap + 4 * rate);
  EXPECT_GT(beat_level, 3e-3);
  EXPECT_LT(rms(rec.samples, tap + 4 * rate + rate / 2, tap + 5 * rate), 0.1 * beat_level) << "the untapped bar rests";
}

// The CLI end to end: `play --live --engine ddsp` from a virtual MIDI port through JACK, a key held
// for 4 s (longer than the cached 3 s note) sounds at its pitch all the while.
TEST(PlayLiveThroughJack, PlaysADdspModelFromTheCli) {
  const std::string violin = std::string(TIMBREL_DEFAULT_SHARED_DIR) + "/models-ext/ddsp/violin";
  if (!std::filesystem::exists(violin + "/model.json")) GTEST_SKIP() << "no " << violin;
  std::string why;
  auto server = test::JackServer::start(&why);
  if (!server) GTEST_SKIP() << "no JACK server: " << why;
  const std::string rec = test::temp_dir() + "/ddsp-live.wav", log = test::temp_dir() + "/ddsp-live.log";
  std::string out;
  std::thread player([&] {
    test::run_command(std::string(TIMBREL_BINARY) + " play --live --engine ddsp --ddsp-model " + violin +
                          " --midi-api jack --seconds 8 --bit-depth float --record " + rec + " > " + log + " 2>&1",
                      &out, true);
  });
  // Ready once timbrel:in exists (the cache renders first).
  RtMidiOut keyboard(RtMidi::UNIX_JACK, "keyboard");
  keyboard.openVirtualPort("out");
  const auto t0 = std::chrono::steady_clock::now();
  while (test::run_command("jack_connect keyboard:out timbrel:in > /dev/null 2>&1", nullptr) != 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto send = [&](std::vector<unsigned char> m) { keyboard.sendMessage(&m); };
  send({0x90, 69, 120});
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  send({0x80, 69, 0});
  player.join();
  std::string printed;
  test::run_command("cat " + log, &printed);
  EXPECT_THAT(printed, ::testing::HasSubstr("1 notes")) << printed;
  EXPECT_THAT(printed, ::testing::HasSubstr("underruns: 0")) << printed;
  const Audio a = mix_to_mono(read_sound_file(rec));
  size_t onset = 0;
  while (onset < a.samples.size() && std::fabs(a.samples[onset]) < 1e-3f) ++onset;
  ASSERT_LT(onset + size_t(4.0 * a.sample_rate), a.samples.size()) << printed;
  // Every 0.5 s of the hold: sounding, at A4 (109.1 samples at 48 kHz).
  for (double t = 0.25; t < 3.7; t += 0.5) {
    const size_t from = onset + size_t(t * a.sample_rate), to = from + size_t(0.1 * a.sample_rate);
    EXPECT_GT(rms(a.samples, from, to), 0.01) << t;
    EXPECT_NEAR(period_of(a.samples, from, to, 90, 130), a.sample_rate / 440.0, 1.5) << t;
  }
}

// ---- General MIDI controllers from the keyboard (LiveControls) ----

namespace {

// A fake instrument whose held notes are sines at the pitch's frequency (amplitude 1): cheap, and
// its pitch and level are known exactly.
class SineInstrument final : public LiveInstrument {
 public:
  // "sine", or "sine:N": the N-th harmonic of the key (N = 1..4), so that timbres tell apart.
  void check_timbre(const std::string& t) const override { harmonic(t); }
  std::pair<int, int> pitch_range(const std::string&) const override { return {57, 81}; }
  std::vector<std::string> programs() const override { return {"sine", "sine:2", "sine:3", "sine:4"}; }
  std::vector<std::vector<float>> held_notes(const std::string& t, int first, int count) const override {
    std::vector<std::vector<float>> notes;
    for (int k = 0; k < count; ++k) {
      const double hz = harmonic(t) * 440.0 * std::pow(2.0, (first + k - 69) / 12.0);
      std::vector<float> note(size_t(3 * kNoteSampleRate));
      for (size_t i = 0; i < note.size(); ++i) note[i] = float(std::sin(2 * M_PI * hz * double(i) / kNoteSampleRate));
      notes.push_back(std::move(note));
    }
    return notes;
  }
  int batch(const std::string&) const override { return 32; }
  bool periodic(const std::string&) const override { return true; }

 private:
  static int harmonic(const std::string& t) {
    if (t == "sine") return 1;
    if (t.size() == 6 && t.rfind("sine:", 0) == 0 && t[5] >= '1' && t[5] <= '4') return t[5] - '0';
    throw Error(t, "the sine instrument plays \"sine\" or \"sine:1\" .. \"sine:4\"");
  }
};

constexpr double kRate = 48000;
constexpr float kVelocity100 = kMasterGain * 100.0f / 127.0f;  // a velocity-100 sine's amplitude

LiveSynth sine_synth() { return LiveSynth(std::make_unique<SineInstrument>(), int(kRate), "sine"); }

double db(double a, double b) { return 20 * std::log10(std::max(a, 1e-12) / std::max(b, 1e-12)); }
double cents(double f, double ref) { return 1200 * std::log2(f / ref); }

// The mean frequency over [from, to) from its upward zero crossings (linearly interpolated).
double frequency(const std::vector<float>& x, size_t from, size_t to) {
  double first = -1, last = -1;
  int n = 0;
  for (size_t i = from; i + 1 < to; ++i)
    if (x[i] < 0 && x[i + 1] >= 0) {
      const double t = double(i) + x[i] / (x[i] - x[i + 1]);
      if (first < 0) first = t;
      last = t, ++n;
    }
  return n > 1 ? (n - 1) * kRate / (last - first) : 0.0;
}

// The frequency of each period (upward crossing to upward crossing) over [from, to).
std::vector<double> period_frequencies(const std::vector<float>& x, size_t from, size_t to) {
  std::vector<double> out;
  double last = -1;
  for (size_t i = from; i + 1 < to; ++i)
    if (x[i] < 0 && x[i + 1] >= 0) {
      const double t = double(i) + x[i] / (x[i] - x[i + 1]);
      if (last >= 0) out.push_back(kRate / (t - last));
      last = t;
    }
  return out;
}

// The dominant period in samples, from the autocorrelation's peak over lags [lo, hi) refined by a parabola.
double fine_period(const std::vector<float>& x, size_t from, size_t to, int lo, int hi) {
  auto corr = [&](int lag) {
    double c = 0;
    for (size_t i = from; i + size_t(lag) < to; ++i) c += double(x[i]) * x[i + size_t(lag)];
    return c;
  };
  const int at = period_of(x, from, to, lo, hi);
  const double a = corr(at - 1), b = corr(at), c = corr(at + 1);
  return at + 0.5 * (a - c) / (a - 2 * b + c);
}

// Renders through output_fill, so the allocation/lock guard sees the callback as the device's.
std::vector<float> run_as_device(LiveSynth& synth, size_t frames, size_t block) {
  OutputTap tap;
  std::vector<float> out(2 * frames);
  for (size_t at = 0; at < frames; at += block) output_fill(synth, tap, out.data() + 2 * at, std::min(block, frames - at), 2);
  return out;
}

}  // namespace

TEST(LiveControls, PanPlacesEachChannelHardLeftCentreOrRight) {
  LiveSynth synth = sine_synth();
  const int pans[3] = {0, 64, 127};
  double left[3], right[3];
  for (int ch = 0; ch < 3; ++ch) {
    synth.control_change(gm::kPan, pans[ch], ch);
    synth.note_on(69, 100, ch);
    const std::vector<float> s = run_stereo(synth, size_t(0.5 * kRate));
    synth.note_off(69, ch);
    run_stereo(synth, size_t(0.5 * kRate));
    const std::vector<float> l = side(s, 0), r = side(s, 1);
    left[ch] = rms(l, 4800, l.size()), right[ch] = rms(r, 4800, r.size());
  }
  std::printf("pan 0: L-R %.1f dB; pan 64: L-R %.4f dB; pan 127: R-L %.1f dB\n", db(left[0], right[0]), db(left[1], right[1]),
              db(right[2], left[2]));
  EXPECT_GE(db(left[0], right[0]), 10.0);
  EXPECT_GE(db(right[2], left[2]), 10.0);
  EXPECT_NEAR(db(left[1], right[1]), 0.0, 0.1);
  // Hard left is the mono note's level; the centre -3 dB (the constant-power law) on each side.
  EXPECT_NEAR(db(left[0], kVelocity100 / M_SQRT2), 0.0, 0.1);
  EXPECT_NEAR(db(left[1], left[0]), 20 * std::log10(std::cos(M_PI / 4)), 0.1);
}

TEST(LiveControls, VolumeAndExpressionFollowTheGmCurvesWithoutSteps) {
  LiveSynth synth = sine_synth();
  synth.note_on(69, 100);
  const double at100 = rms(run(synth, 9600), 4800, 9600);
  synth.control_change(gm::kVolume, 50);
  const std::vector<float> after = run(synth, 9600);
  const double at50 = rms(after, 4800, 9600);
  synth.control_change(gm::kExpression, 64);
  const double at50_64 = rms(run(synth, 9600), 4800, 9600);
  const double want50 = 20 * std::log10(gm::controller_gain(50) / gm::controller_gain(100));
  const double want64 = 20 * std::log10(gm::controller_gain(64) / gm::controller_gain(127));
  std::printf("CC7 100->50: %.3f dB (GM %.3f); CC11 127->64: %.3f dB (GM %.3f)\n", db(at50, at100), want50, db(at50_64, at50), want64);
  EXPECT_NEAR(db(at50, at100), want50, 0.1);
  EXPECT_NEAR(db(at50_64, at50), want64, 0.1);
  // The step is smoothed: the first millisecond after it is still mostly at the old level.
  EXPECT_GT(db(rms(after, 0, 48), at100), -3.0);
}

TEST(LiveControls, PitchBendMovesThePitchInTheRpnRange) {
  LiveSynth synth = sine_synth();
  synth.note_on(69, 100);
  const size_t tenth = size_t(kRate / 10);
  EXPECT_NEAR(cents(frequency(run(synth, 3 * tenth), tenth, 3 * tenth), 440.0), 0.0, 1.0);
  synth.pitch_bend(8191);  // full up: 2 semitones by default
  const double up2 = cents(frequency(run(synth, 3 * tenth), tenth, 3 * tenth), 440.0);
  synth.pitch_bend(-8192);
  const double down2 = cents(frequency(run(synth, 3 * tenth), tenth, 3 * tenth), 440.0);
  // RPN 0 to 12 semitones, then full up for 4 s: the 3 s cached note is read twice as fast, through its loop.
  for (auto [cc, v] : std::vector<std::pair<int, int>>{{101, 0}, {100, 0}, {6, 12}, {38, 0}}) synth.control_change(cc, v);
  synth.pitch_bend(8191);
  const std::vector<float> held = run(synth, 40 * tenth);
  const double up12 = cents(frequency(held, tenth, 5 * tenth), 440.0), up12_late = cents(frequency(held, 35 * tenth, 40 * tenth), 440.0);
  std::printf("bend +2: %+.2f cents (want %+.2f), -2: %+.2f (want -200), +12: %+.2f, at 3.5-4 s %+.2f (want %+.2f)\n", up2,
              200.0 * 8191 / 8192, down2, up12, up12_late, 1200.0 * 8191 / 8192);
  EXPECT_NEAR(up2, 200.0 * 8191 / 8192, 10.0);
  EXPECT_NEAR(down2, -200.0, 10.0);
  EXPECT_NEAR(up12, 1200.0 * 8191 / 8192, 10.0);
  EXPECT_NEAR(up12_late, 1200.0 * 8191 / 8192, 10.0);
  EXPECT_NEAR(db(rms(held, 35 * tenth, 40 * tenth), rms(held, tenth, 5 * tenth)), 0.0, 0.5);  // still held, at level
}

TEST(LiveControls, ModulationAddsVibratoAtTheGmDepthAndRate) {
  LiveSynth synth = sine_synth();
  synth.note_on(69, 100);
  synth.control_change(gm::kModulation, 127);
  const std::vector<float> x = run(synth, size_t(1.2 * kRate));
  const std::vector<double> f = period_frequencies(x, size_t(0.2 * kRate), x.size());
  double lo = 1e9, hi = -1e9;
  int swings = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    lo = std::min(lo, cents(f[i], 440.0)), hi = std::max(hi, cents(f[i], 440.0));
    swings += i && f[i - 1] < 440.0 && f[i] >= 440.0;
  }
  std::printf("CC1 127: vibrato %+.1f..%+.1f cents, %d cycles in 1 s\n", lo, hi, swings);
  EXPECT_NEAR(hi, gm::kModulationDepthCents, 5.0);
  EXPECT_NEAR(lo, -gm::kModulationDepthCents, 5.0);
  EXPECT_NEAR(swings, gm::kVibratoHz, 1.0);
}

TEST(LiveControls, SustainAndAllNotesOffArePerChannel) {
  LiveSynth synth = sine_synth();
  synth.control_change(gm::kPan, 0, 0);  // channel 0 left, channel 1 right
  synth.control_change(gm::kPan, 127, 1);
  synth.sustain(true, 0);
  synth.note_on(69, 100, 0);
  synth.note_on(72, 100, 1);
  run_stereo(synth, 4800);
  synth.note_off(69, 0);
  synth.note_off(72, 1);
  synth.control_change(gm::kAllNotesOff, 0, 0);  // a note-off for every key: the pedal still holds
  std::vector<float> s = run_stereo(synth, size_t(0.5 * kRate));
  EXPECT_NEAR(db(rms(side(s, 0), 19200, 24000), kVelocity100 / M_SQRT2), 0.0, 0.1);  // held by channel 0's pedal
  EXPECT_LT(rms(side(s, 1), 19200, 24000), 1e-4);                                    // channel 1 has none
  synth.sustain(false, 0);
  s = run_stereo(synth, size_t(0.5 * kRate));
  EXPECT_LT(rms(side(s, 0), 16000, 24000), 1e-4);  // released (0.3 s) once the pedal lifts
  // All sound off: over 45 dB down within 6 ms (the DC blocker's tail of the cut), pedal or not.
  synth.sustain(true, 0);
  synth.note_on(69, 100, 0);
  run_stereo(synth, 4800);
  synth.control_change(gm::kAllSoundOff, 0, 0);
  s = run_stereo(synth, 4800);
  EXPECT_LT(db(rms(side(s, 0), size_t(0.006 * kRate), 4800), kVelocity100 / M_SQRT2), -45.0);
}

TEST(LiveControls, ResetAllControllersResetsBendModulationExpressionAndPedal) {
  LiveSynth synth = sine_synth();
  for (auto [cc, v] : std::vector<std::pair<int, int>>{{gm::kPan, 0}, {gm::kVolume, 64}, {gm::kExpression, 40}, {gm::kModulation, 127}})
    synth.control_change(cc, v);
  synth.pitch_bend(8191);
  synth.sustain(true);
  synth.note_on(69, 100);
  run_stereo(synth, 4800);
  synth.control_change(gm::kResetAllControllers, 0);
  const std::vector<float> l = side(run_stereo(synth, 9600), 0);
  const double f = cents(frequency(l, 4800, 9600), 440.0);
  // Volume and pan stay; expression goes back to 127.
  const double want = kVelocity100 * gm::channel_gain(64, 127) / M_SQRT2;
  std::printf("after CC121: %+.2f cents, level %+.3f dB against volume 64 alone\n", f, db(rms(l, 4800, 9600), want));
  EXPECT_NEAR(f, 0.0, 1.0);
  EXPECT_NEAR(db(rms(l, 4800, 9600), want), 0.0, 0.1);
  synth.note_off(69);  // the pedal was lifted too: the key's release ends the note
  EXPECT_LT(rms(side(run_stereo(synth, 24000), 0), 16000, 24000), 1e-4);
}

TEST(LiveControls, RawMidiReachesItsChannel) {
  LiveSynth synth = sine_synth();
  auto send = [&](std::vector<unsigned char> m) { synth.midi(m.data(), m.size()); };
  send({0xB3, 10, 127});   // channel 4: pan right
  send({0xE3, 0x7F, 0x7F});  // bend full up
  send({0x93, 69, 100});
  std::vector<float> s = run_stereo(synth, 9600);
  EXPECT_GE(db(rms(side(s, 1), 4800, 9600), rms(side(s, 0), 4800, 9600)), 10.0);
  EXPECT_NEAR(cents(frequency(side(s, 1), 4800, 9600), 440.0), 200.0, 10.0);
  send({0x83, 69, 0});
  send({0x90, 69, 100});  // channel 1: centred and unbent
  s = run_stereo(synth, 24000);
  EXPECT_NEAR(db(rms(side(s, 0), 19200, 24000), rms(side(s, 1), 19200, 24000)), 0.0, 0.1);
  EXPECT_NEAR(cents(frequency(side(s, 0), 19200, 24000), 440.0), 0.0, 1.0);
}

// CC91/CC93 feed the room after the channel's gain: CC91 = 0 and CC93 = 0 are dry, and the
// reverb's tail scales with the send (0.2 x CC91 / 127, FluidSynth's default modulator).
TEST(LiveControls, ReverbAndChorusSendsFeedTheRoom) {
  auto tail_and_width = [](int cc91, int cc93) {
    LiveSynth synth = sine_synth();
    synth.control_change(gm::kPan, 0);  // hard left: what reaches the right side is the room's
    synth.control_change(gm::kReverbSend, cc91);
    synth.control_change(gm::kChorusSend, cc93);
    synth.note_on(69, 100);
    const std::vector<float> held = run_stereo(synth, size_t(0.3 * kRate));
    synth.note_off(69);
    const std::vector<float> after = run_stereo(synth, size_t(1.0 * kRate));
    // The tail 0.5..1.0 s after the key (its 0.3 s release is over), both sides; the right side while held.
    return std::pair<double, double>{std::hypot(rms(side(after, 0), 24000, 48000), rms(side(after, 1), 24000, 48000)),
                                     rms(side(held, 1), 4800, 14400)};
  };
  const auto [dry_tail, dry_right] = tail_and_width(0, 0);
  const auto [tail40, right40] = tail_and_width(40, 0);
  const auto [tail127, right127] = tail_and_width(127, 0);
  const auto [chorus_tail, chorus_right] = tail_and_width(0, 127);
  std::printf("tail 0.5-1 s after the key: dry %.2g, CC91 40 %.2g, CC91 127 %.2g (%.2f dB, want %.2f); right side held: dry %.2g, chorus %.2g\n",
              dry_tail, tail40, tail127, db(tail40, tail127), 20 * std::log10(40.0 / 127), dry_right, chorus_right);
  EXPECT_LT(dry_tail, 1e-5);
  EXPECT_LT(dry_right, 1e-6);
  EXPECT_GT(tail127, 1e-3);
  EXPECT_NEAR(db(tail40, tail127), 20 * std::log10(40.0 / 127), 0.5);  // the room is linear in its send
  EXPECT_GT(chorus_right, 1e-2);  // the chorus returns on both sides while the note sounds
  std::printf("right side held: CC91 40 %.2g, CC91 127 %.2g; chorus tail %.2g\n", right40, right127, chorus_tail);
}

// A "program:N" timbre sends its FluidR3 preset's own reverb (gm_sends.h) until the channel sends
// CC91, which then replaces it: as render's voices.
TEST(LiveControls, ATimbresOwnSendsHoldUntilTheChannelSendsItsOwn) {
  const DdspBank bank(std::string(TIMBREL_SOURCE_DIR) + "/models/ddsp-gm");
  auto tail = [&](int cc91) {
    LiveSynth synth(ddsp_instrument(bank, {}), int(kRate), "program:40");  // violin: 15% reverb of its own
    if (cc91 >= 0) synth.control_change(gm::kReverbSend, cc91);
    synth.note_on(60, 100);
    run_stereo(synth, size_t(0.5 * kRate));
    synth.note_off(60);
    const std::vector<float> after = run_stereo(synth, size_t(1.0 * kRate));
    return std::hypot(rms(side(after, 0), 24000, 48000), rms(side(after, 1), 24000, 48000));
  };
  const double own = tail(-1), zero = tail(0), full = tail(127);
  std::printf("violin tail 0.5-1 s after the key: its own send %.2g, CC91 0 %.2g, CC91 127 %.2g (%.2f dB, want %.2f)\n", own, zero, full,
              db(own, full), 20 * std::log10(gm::program_sends(40).reverb / reverb_send_for_cc(127)));
  EXPECT_GT(gm::program_sends(40).reverb, 0.0f);
  EXPECT_LT(zero, 1e-5);
  EXPECT_NEAR(db(own, full), 20 * std::log10(gm::program_sends(40).reverb / reverb_send_for_cc(127)), 0.5);
}

// A GANSynth note bent +2 semitones: its period shrinks by 2^(2/12).
TEST(LiveControls, BendsAGansynthNote) {
  LiveSynth synth(bundled(), int(kRate), "preset:Flute");
  synth.note_on(69, 100);
  const std::vector<float> plain = run(synth, 24000);
  synth.pitch_bend(8191);
  const std::vector<float> bent = run(synth, 24000);
  const double p0 = fine_period(plain, 9600, 24000, 100, 120), p1 = fine_period(bent, 9600, 24000, 88, 106);
  std::printf("GANSynth flute A4: period %.3f samples, bent %.3f: %+.2f cents (want %+.2f)\n", p0, p1, cents(p0, p1), 200.0 * 8191 / 8192);
  EXPECT_NEAR(cents(p0, p1), 200.0, 10.0);
}

TEST(LiveControls, RenderNeverAllocatesOrLocksUnderBendsControllerStormsAndPans) {
  LiveSynth synth = sine_synth();
  std::mt19937 rng(7);
  const int controllers[] = {1, 6, 7, 10, 11, 38, 64, 91, 93, 100, 101, 120, 121, 123};
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  float peak = 0;
  size_t bad = 0;
  for (int block = 0; block < 400; ++block) {
    for (int e = 0; e < 20; ++e) {
      const int ch = int(rng() % 16);
      switch (rng() % 4) {
        case 0: synth.note_on(50 + int(rng() % 40), 1 + int(rng() % 127), ch); break;
        case 1: synth.note_off(50 + int(rng() % 40), ch); break;
        case 2: synth.pitch_bend(int(rng() % 16384) - 8192, ch); break;
        default: synth.control_change(controllers[rng() % 14], int(rng() % 128), ch); break;
      }
    }
    for (const float v : run_as_device(synth, 64 + rng() % 1200, 64 + rng() % 1200)) {  // blocks above and below the synth's chunk
      bad += !std::isfinite(v);
      peak = std::max(peak, std::fabs(v));
    }
  }
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  EXPECT_EQ(bad, 0u);
  EXPECT_LT(peak, 1.0f);
  EXPECT_GT(synth.notes_played(), 1000u);
}

// With all voices busy, a new note takes the quietest releasing voice, not the oldest held
// one: the first note (alone on a hard-left channel) keeps sounding.
TEST(LiveSynth, AFullSynthStealsTheQuietestReleasingVoice) {
  LiveOptions o;
  o.room = false;
  o.release = 2.0;
  LiveSynth synth(bundled(), 16000, "program:0", o);
  synth.control_change(10, 0, 1);    // channel 2 hard left: the oldest note alone
  synth.control_change(10, 127, 0);  // channel 1 hard right: the rest
  synth.note_on(48, 100, 1);
  run_stereo(synth, 160);
  for (size_t k = 0; k + 2 < LiveSynth::kVoices; ++k) synth.note_on(50 + int(k % 30), 100, 0);
  synth.note_on(84, 100, 0);
  run_stereo(synth, 1600);
  synth.note_off(84, 0);  // releasing over 2 s: the quietest voice once it has faded a little
  run_stereo(synth, 4000);
  synth.note_on(83, 100, 0);  // one note more than there are voices
  const std::vector<float> left = side(run_stereo(synth, 8000), 0);
  double energy = 0;
  for (size_t i = 4000; i < left.size(); ++i) energy += double(left[i]) * left[i];
  EXPECT_GT(energy, 1e-4) << "the oldest note was stolen";
}

// Waits (rendering, as a device would) until every requested timbre plays.
void settle_timbres(LiveSynth& synth) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!synth.idle() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  run_stereo(synth, 256);
}

// Each channel plays its own timbre; a program change reaches only its channel; channels asking
// for the same timbre share one cache (rendered once).
TEST(LiveSynth, EachChannelPlaysItsOwnTimbre) {
  LiveSynth synth = sine_synth();
  const unsigned char program_change[2] = {0xC1, 1};  // channel 2: programs[1] = "sine:2"
  synth.midi(program_change, 2);
  settle_timbres(synth);
  EXPECT_EQ(synth.current_timbre(1), "sine:2");
  EXPECT_EQ(synth.current_timbre(0), "sine");
  EXPECT_EQ(synth.caches_rendered(), 2u);
  auto pitch_on = [&](int channel) {
    synth.note_on(69, 100, channel);
    const std::vector<float> s = run(synth, 9600);
    synth.note_off(69, channel);
    run(synth, 24000);  // the release ends
    return frequency(s, 4800, 9600);
  };
  EXPECT_NEAR(cents(pitch_on(0), 440.0), 0.0, 1.0);
  EXPECT_NEAR(cents(pitch_on(1), 880.0), 0.0, 1.0);
  synth.set_timbre("sine:2", 5);  // shares channel 2's cache
  synth.set_timbre("sine", 1);    // channel 2 back: "sine" is still held by the others
  settle_timbres(synth);
  EXPECT_EQ(synth.caches_rendered(), 2u);
  EXPECT_EQ(synth.current_timbre(5), "sine:2");
  EXPECT_NEAR(cents(pitch_on(5), 880.0), 0.0, 1.0);
  EXPECT_NEAR(cents(pitch_on(1), 440.0), 0.0, 1.0);
  EXPECT_THROW(synth.set_timbre("sine:9", 0), Error);
  EXPECT_THROW(synth.set_timbre("sine", 16), Error);
}

// Program changes on every channel while notes hold: the callback never allocates or locks, and
// each channel ends on the last timbre it was asked for (caches shared, not rendered per change).
TEST(LiveSynth, ProgramChangeStormsNeverReachTheCallbacksAllocator) {
  LiveSynth synth = sine_synth();
  std::mt19937 rng(11);
  std::array<std::string, 16> wanted;
  wanted.fill("sine");
  int changes = 0;
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  size_t bad = 0;
  for (int block = 0; block < 300; ++block) {
    const int ch = int(rng() % 16);
    const unsigned char change[2] = {(unsigned char)(0xC0 | ch), (unsigned char)(rng() % 4)};
    if (rng() % 3 == 0) synth.midi(change, 2), wanted[size_t(ch)] = change[1] ? "sine:" + std::to_string(change[1] + 1) : "sine", ++changes;
    synth.note_on(57 + int(rng() % 24), 100, int(rng() % 16));
    synth.note_off(57 + int(rng() % 24), int(rng() % 16));
    for (const float v : run_as_device(synth, 64 + rng() % 512, 64 + rng() % 512)) bad += !std::isfinite(v);
  }
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  EXPECT_EQ(bad, 0u);
  settle_timbres(synth);
  std::printf("%zu caches rendered for %d program changes\n", synth.caches_rendered(), changes);
  EXPECT_GE(synth.caches_rendered(), 4u);
  for (int ch = 0; ch < 16; ++ch) EXPECT_EQ(synth.current_timbre(ch), wanted[size_t(ch)]) << "channel " << ch + 1;
}

// The player's vibrato (LiveOptions, as render's DDSP lines): none before its delay, then the
// full depth at its rate; a legato note glides from the key before it.
TEST(LiveSynth, PlayedVibratoAndGlide) {
  LiveOptions o;
  o.room = false;
  o.release = 0.001;
  o.vibrato_cents = 50;
  LiveSynth synth(std::make_unique<SineInstrument>(), int(kRate), "sine", o);
  synth.note_on(69, 100);
  const std::vector<float> held = run(synth, size_t(1.5 * kRate));
  EXPECT_NEAR(cents(frequency(held, 0, size_t(0.3 * kRate)), 440.0), 0.0, 0.5);  // before the delay
  double low = 1e9, high = 0;
  for (double f : period_frequencies(held, size_t(0.7 * kRate), size_t(1.5 * kRate))) low = std::min(low, f), high = std::max(high, f);
  std::printf("vibrato 50 cents: %.1f .. %.1f cents\n", cents(low, 440.0), cents(high, 440.0));
  EXPECT_NEAR(cents(high, 440.0), 50.0, 5.0);
  EXPECT_NEAR(cents(low, 440.0), -50.0, 5.0);

  synth.set_performance(0, 0.2);  // glide 0.2 s, no vibrato
  synth.note_off(69);
  synth.note_on(72, 100);  // within the legato gap of the key before
  const std::vector<float> legato = run(synth, size_t(0.6 * kRate));
  const double c5 = 440.0 * std::pow(2.0, 3 / 12.0);
  EXPECT_LT(cents(frequency(legato, 0, size_t(0.04 * kRate)), c5), -200.0);  // starts near the old key
  EXPECT_NEAR(cents(frequency(legato, size_t(0.25 * kRate), size_t(0.6 * kRate)), c5), 0.0, 0.5);
  synth.note_off(72);
  run(synth, 4800);
  synth.note_on(76, 100);  // nothing sounding on the channel: no glide
  EXPECT_NEAR(cents(frequency(run(synth, 4800), 0, 4800), 440.0 * std::pow(2.0, 7 / 12.0)), 0.0, 1.0);
  synth.note_off(76);
  run(synth, 4800);
  synth.note_on(60, 1);    // a quiet key held: a chord's other line, not a note to glide from
  synth.note_on(81, 127);  // (its crossings are the loud note's)
  EXPECT_NEAR(cents(frequency(run(synth, 1920), 0, 1920), 880.0), 0.0, 5.0);
}

// A channel asked for B and then its own timbre A again, before its callback took B, still takes
// the next timbre C while a note of A holds (it was stuck until the channel fell silent).
TEST(LiveSynth, BackToItsOwnTimbreDoesNotBlockTheNextChange) {
  LiveSynth synth = sine_synth();
  synth.note_on(57, 1, 1);  // held, quiet: plays "sine" throughout
  run(synth, 256);
  synth.set_timbre("sine:2", 1);
  synth.set_timbre("sine", 1);
  settle_timbres(synth);
  synth.set_timbre("sine:4", 1);
  settle_timbres(synth);
  synth.note_on(81, 127, 1);
  EXPECT_NEAR(cents(frequency(run(synth, 4800), 2400, 4800), 4 * 880.0), 0.0, 5.0);
}

// Under the pedal a key struck again ends its held note (two notes of one key never pile up); a
// key struck twice has its note-offs paired first in, first out (read_midi's pairing, render's).
TEST(LiveControls, ReStruckKeysEndTheirPedalledNoteAndDoubledKeysPairInOrder) {
  LiveOptions o;
  o.room = false;
  o.release = 0.01;
  LiveSynth synth(std::make_unique<SineInstrument>(), int(kRate), "sine", o);
  synth.note_on(69, 100);
  const double single = rms(run(synth, 9600), 4800, 9600);
  synth.sustain(true);
  synth.note_off(69);
  synth.note_on(69, 100);  // struck again: the pedalled note releases, the new one sounds
  const std::vector<float> again = run(synth, 9600);
  EXPECT_NEAR(db(rms(again, 4800, 9600), single), 0.0, 0.5) << "two notes of one key piled up under the pedal";
  synth.sustain(false);
  synth.note_off(69);
  run(synth, 4800);
  synth.note_on(69, 100);
  synth.note_on(69, 100);  // doubled
  synth.note_off(69);      // ends the first only
  const std::vector<float> doubled = run(synth, 9600);
  EXPECT_NEAR(db(rms(doubled, 4800, 9600), single), 0.0, 0.5) << "the first note-off ended both notes, or neither";
  synth.note_off(69);
  EXPECT_LT(rms(run(synth, 4800), 2400, 4800), 1e-5);
}
