// Live playing: the voice cache and its envelope, note-on latency, timbre changes while playing
// (without allocating in the callback), and MIDI through a virtual JACK MIDI port.
#include <RtMidi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "jack_server.h"
#include "render/live_synth.h"
#include "test_util.h"
#include "timbrel/error.h"
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

std::vector<float> run(LiveSynth& synth, size_t frames, size_t block = 256) {
  std::vector<float> out(frames);
  for (size_t at = 0; at < frames; at += block) synth.render(out.data() + at, std::min(block, frames - at));
  return out;
}

double rms(const std::vector<float>& a, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += double(a[i]) * a[i];
  return std::sqrt(s / double(to - from));
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
  NoteSequence seq;
  Note n;
  n.pitch = 67;
  n.velocity = 100;
  n.start_time = 0;
  n.end_time = 2.0;
  seq.notes.push_back(n);
  NoteRenderOptions o;
  o.schedule.timbres = {"preset:Flute"};
  o.sample_rate = 48000;
  const std::vector<float> want = render_sequence(seq, bundled(), nullptr, o);
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
  std::vector<float> buffer(256);
  synth.render(buffer.data(), buffer.size());
  EXPECT_EQ(rms(buffer, 0, 256), 0.0);
  synth.note_on(60, 127);
  synth.render(buffer.data(), buffer.size());
  // Linear attack from 0: sample 0 is silent, the rest of this first buffer is not.
  EXPECT_GT(rms(buffer, 1, 256), 1e-4);
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
  std::vector<float> buffer(256);
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  synth.set_timbre("preset:Cello");
  const auto t0 = std::chrono::steady_clock::now();
  int buffers = 0;
  // Played in real time by this thread while the worker renders the new cache.
  while (synth.current_timbre() != "preset:Cello" && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
    synth.render(buffer.data(), buffer.size());
    ++buffers;
    std::this_thread::sleep_for(std::chrono::microseconds(5333));
  }
  EXPECT_EQ(synth.current_timbre(), "preset:Cello");
  EXPECT_GT(buffers, 10);           // playing went on during the re-render
  EXPECT_GT(rms(buffer, 0, 256), 0.0);  // the old note still sounds from the old cache
  synth.note_off(60);
  synth.note_on(62, 100);  // a new note from the new cache
  for (int i = 0; i < 300; ++i) synth.render(buffer.data(), buffer.size());  // the old cache is let go
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  EXPECT_EQ(synth.caches_rendered(), 2u);
  EXPECT_THROW(synth.set_timbre("preset:No Such Thing"), Error);
}

TEST(PlayLiveThroughJack, PlaysNotesFromAVirtualMidiPort) {
  std::string why;
  auto server = test::JackServer::start(&why);
  if (!server) GTEST_SKIP() << "no JACK server: " << why;
  LivePlayOptions o;
  o.timbre = "preset:Flute";
  o.programs = {"preset:Flute", "preset:Cello"};
  o.midi_api = "jack";
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
