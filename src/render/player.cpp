// Streaming playback of a NoteSequence: NoteRenderer on a worker thread -> streaming soxr to the
// device's rate -> SPSC ring -> PortAudio callback (which only copies).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <exception>
#include <thread>

#include "audio/audio_output.h"
#include "audio/midi_input.h"
#include "models/model_impls.h"
#include "render/live_drummer.h"
#include "render/live_responder.h"
#include "render/live_synth.h"
#include "render/note_renderer.h"
#include "timbrel/error.h"
#include "timbrel/play.h"

namespace timbrel {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Producer: renders block by block (stereo at the device's rate) and waits (sleeps) while the ring is full.
void produce(NoteRenderer& renderer, RingSource& feed, const std::atomic<bool>& stop, std::exception_ptr& failure) {
  // Rendering is far faster than real time: at a lower priority it never delays the audio server.
  ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 10);
  try {
    const size_t block_frames = size_t(renderer.sample_rate()) / 16;  // 62.5 ms
    std::vector<float> block;
    while (!renderer.finished() && !stop) {
      block.clear();
      renderer.render_until(renderer.emitted() + block_frames, block);
      const size_t frames = block.size() / 2;
      for (size_t at = 0; at < frames && !stop;) {
        at += feed.write(block.data() + 2 * at, frames - at);
        if (at < frames) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  } catch (...) {
    failure = std::current_exception();
  }
  feed.producer_done.store(true, std::memory_order_release);
}

// Collects the stereo frames the callback sent (drained from the tap every few ms) and writes them
// at the end as a stereo file, whatever the device's channels.
class Recorder {
 public:
  explicit Recorder(OutputTap& tap) : tap_(tap), scratch_(8192) {}
  void drain() {
    size_t n;
    while ((n = tap_.record.read(scratch_.data(), scratch_.size())) > 0) samples_.insert(samples_.end(), scratch_.begin(), scratch_.begin() + long(n));
  }
  void write(const std::string& path, int rate, SampleFormat format) {
    drain();
    if (const uint64_t overflows = tap_.record_overflows.load())
      throw Error(path, "the recording fell behind the device (" + std::to_string(overflows) + " overflows); not written");
    Audio a;
    a.sample_rate = rate;
    a.channels = int(kSourceChannels);
    a.samples = std::move(samples_);
    write_sound_file(path, a, format);
  }

 private:
  OutputTap& tap_;
  std::vector<float> scratch_, samples_;  // scratch_: a whole number of frames
};

}  // namespace

PlayReport play_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const PlayOptions& o,
                         const DrumHighs* highs) {
  return play_with_stems(seq, &melodic, drums, o, {}, highs);
}

PlayReport play_with_stems(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const PlayOptions& o,
                           std::vector<Stem> stems, const DrumHighs* highs) {
  const auto t0 = Clock::now();
  if (o.ahead_seconds < 0.5) throw Error("play", "must render at least 0.5 s ahead");
  NoteRenderer(seq, melodic, drums, o.render, highs);  // validates the song before any device opens (generates nothing)
  for (const Gansynth* model : {melodic, drums})  // the stream's first notes must not wait for libtorch to load
    if (model) detail::prepare_network(*model);

  AudioOutput output({o.device, o.buffer_frames});
  const int rate = output.sample_rate();
  NoteRenderOptions render = o.render;  // the mix is made at the device's rate, in stereo
  render.sample_rate = rate;
  render.channels = 2;
  NoteRenderer renderer(seq, melodic, drums, render, highs);
  renderer.mix_in(std::move(stems));
  const double total_s = double(renderer.total_frames()) / rate;
  // The ring bounds how far ahead the worker renders (in frames); the record ring is drained every 20 ms.
  RingSource feed(size_t(o.ahead_seconds * rate));
  OutputTap tap(o.record.empty() ? 0 : size_t(4.0 * rate));

  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::thread worker([&] { produce(renderer, feed, stop, failure); });

  PlayReport report;
  Recorder recorder(tap);
  // `failure` is written by the worker before it sets producer_done (release): read it after.
  auto worker_failed = [&] { return feed.producer_done.load(std::memory_order_acquire) && failure; };
  try {
    const size_t prefill = size_t(o.prefill_seconds * rate);
    while (feed.readable_frames() < prefill && !feed.producer_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (worker_failed()) std::rethrow_exception(failure);
    output.start(feed, tap);
    report.start_latency = since(t0);
    while (!feed.drained.load(std::memory_order_acquire)) {
      if (o.interrupt && o.interrupt->load()) {
        report.interrupted = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      recorder.drain();
      if (worker_failed()) std::rethrow_exception(failure);
      if (o.progress) o.progress(double(tap.frames_played.load()) / rate, total_s);
    }
    if (report.interrupted) {
      stop = true;
      output.abort();
    } else {
      output.stop();
    }
  } catch (...) {
    stop = true;
    worker.join();
    try {
      output.abort();  // the callback must be done with `feed` before it goes
    } catch (...) {
    }
    throw;
  }
  worker.join();
  recorder.drain();
  report.device = output.device_name();
  report.host_api = output.host_api();
  report.sample_rate = rate;
  report.channels = output.channels();
  report.underruns = feed.underruns.load();
  report.xruns = tap.host_underflows.load();
  report.frames = tap.frames_played.load();
  report.record_overflows = tap.record_overflows.load();
  report.render = renderer.report();
  if (!o.record.empty()) recorder.write(o.record, rate, o.record_format);
  report.seconds = since(t0);
  return report;
}

}  // namespace timbrel

namespace timbrel {

MidiBackend parse_midi_backend(const std::string& text, const std::string& parameter) {
  if (text == "auto") return MidiBackend::Auto;
  if (text == "alsa") return MidiBackend::Alsa;
  if (text == "jack") return MidiBackend::Jack;
  throw Error(parameter + " " + text, "must be auto, alsa or jack");
}

std::string to_string(MidiBackend api) { return api == MidiBackend::Alsa ? "alsa" : api == MidiBackend::Jack ? "jack" : "auto"; }

}  // namespace timbrel

namespace timbrel {

namespace {

// Note-ons and note-offs of a raw MIDI message, for the responder.
void observe(LiveResponder& responder, const unsigned char* m, size_t size, double time) {
  if (size < 3) return;
  const unsigned status = m[0] & 0xF0u;
  if (status == 0x90 && m[2] > 0) responder.note_on(m[1], m[2], time);
  else if (status == 0x80 || status == 0x90) responder.note_off(m[1], time);
}

constexpr int kGmDrumChannel = 9;  // MIDI channel 10

// A phrase taken from the responder (or a bar from the drummer) under the lock, its answer composed
// without it, then scheduled and what is due played on `channel`; returns the seconds until the
// next thing to do.
template <class Listener, class Take, class Answer>
double serve(Listener& listener, Take take, Answer answer, std::mutex& control, LiveSynth& synth, int channel, const Clock::time_point& start,
             const LivePlayOptions& o) {
  std::unique_lock<std::mutex> lock(control);
  if (auto item = (listener.*take)(since(start))) {
    lock.unlock();
    std::vector<Note> notes;
    try {
      notes = (listener.*answer)(*item);  // the model, without the lock
    } catch (const std::exception& e) {  // a failed answer is skipped; playing goes on
      if (o.status) o.status(std::string("no answer: ") + e.what());
    }
    lock.lock();
    listener.schedule(*item, notes);
  }
  const double now = since(start);
  for (const auto& e : listener.due(now)) e.velocity > 0 ? synth.note_on(e.pitch, e.velocity, channel) : synth.note_off(e.pitch, channel);
  return std::clamp(listener.next_event_time() - now, 0.001, 0.02);  // on time, to the millisecond
}

LiveOptions live_options(const LivePlayOptions& o) {
  LiveOptions lo;
  lo.attack = o.attack;
  lo.release = o.release;
  lo.room = o.room;
  lo.inverse = o.inverse;
  lo.spectral = o.spectral;
  lo.device_spectral = o.device_spectral;
  if (o.engine == TimbreEngine::Ddsp) {  // the steady cached notes get render's DDSP vibrato and glide
    lo.vibrato_cents = o.ddsp.vibrato_cents, lo.vibrato_rate = o.ddsp.vibrato_rate, lo.vibrato_delay = o.ddsp.vibrato_delay;
    lo.glide = o.ddsp.glide;
  }
  return lo;
}

}  // namespace

LivePlayReport play_live(const Gansynth& model, const LivePlayOptions& o, const Gansynth* drums, const DrumHighs* highs) {
  return play_live(gansynth_instrument(model, live_options(o)), o, drums, highs);
}

LivePlayReport play_live(std::unique_ptr<LiveInstrument> instrument, const LivePlayOptions& o, const Gansynth* drums, const DrumHighs* highs) {
  AudioOutput output({o.device, o.buffer_frames});
  if (drums) instrument = gm_instrument(std::move(instrument), gansynth_instrument(*drums, live_options(o), highs));
  LiveSynth synth(std::move(instrument), output.sample_rate(), o.timbre, live_options(o));
  if (!o.programs.empty()) synth.set_programs(o.programs);
  if (drums) {  // the kit is ready before the first tap can be answered
    synth.set_timbre(kDrumTimbrePrefix + ("preset:" + drums->preset_for_program(0).preset), kGmDrumChannel);
    while (!synth.idle()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The MIDI thread and the answers share the synth's single-producer event queue (and the
  // responder): both take `control`, which the audio callback never does; the answers are
  // composed outside it.
  std::mutex control;
  std::unique_ptr<LiveResponder> responder;
  if (o.answer_model)
    responder = std::make_unique<LiveResponder>(*o.answer_model, LiveResponder::Options{o.answer_qpm, o.answer_bars, o.answer_temperature});
  std::unique_ptr<LiveDrummer> drummer;
  if (o.tap_model) drummer = std::make_unique<LiveDrummer>(*o.tap_model, LiveDrummer::Options{o.tap_qpm, o.tap_key, o.tap_groove});
  const auto start = Clock::now();
  MidiInput midi({o.midi_port, to_string(o.midi_api), "timbrel"}, [&](const unsigned char* m, size_t n) {
    std::lock_guard<std::mutex> lock(control);
    try {
      synth.midi(m, n);
    } catch (const std::exception&) {  // a bad program entry: ignored, the timbre stays
    }
    if (responder) observe(*responder, m, n, since(start));
    if (drummer && n >= 3 && (m[0] & 0xF0u) == 0x90) drummer->note_on(m[1], m[2], since(start));
  });
  OutputTap tap(o.record.empty() ? 0 : size_t(4.0 * output.sample_rate()));
  Recorder recorder(tap);
  LivePlayReport r;
  r.midi_port = midi.description();
  output.start(synth, tap);
  const auto t0 = Clock::now();  // --seconds counts from the first sound, not the cache render
  if (o.status) o.status("ready: " + synth.current_timbre() + " on MIDI " + r.midi_port);
  std::array<std::string, LiveSynth::kChannels> timbres;  // each channel's, as last reported
  for (int ch = 0; ch < LiveSynth::kChannels; ++ch) timbres[size_t(ch)] = synth.current_timbre(ch);
  std::string error;
  try {
  while (!(o.interrupt && o.interrupt->load()) && (o.seconds <= 0 || since(t0) < o.seconds)) {
    double wait = 0.02;
    if (responder) {
      wait = serve(*responder, &LiveResponder::take_phrase, &LiveResponder::answer_to, control, synth, 0, start, o);
      if (responder->answers() != r.answers && o.status) o.status("answered phrase " + std::to_string(responder->answers()));
      r.answers = responder->answers();
    }
    if (drummer) {
      wait = std::min(wait, serve(*drummer, &LiveDrummer::take_bar, &LiveDrummer::beat_for, control, synth, kGmDrumChannel, start, o));
      r.beats = drummer->beats();
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    recorder.drain();
    for (int ch = 0; ch < LiveSynth::kChannels; ++ch)
      if (std::string now_playing = synth.current_timbre(ch); now_playing != timbres[size_t(ch)]) {
        timbres[size_t(ch)] = std::move(now_playing);
        ++r.timbre_changes;
        if (o.status) o.status("timbre: " + timbres[size_t(ch)] + " on channel " + std::to_string(ch + 1));
      }
    if (synth.last_error() != error) {
      error = synth.last_error();
      if (o.status) o.status("timbre change failed: " + error);
    }
  }
  } catch (...) {
    output.abort();  // the callback must be done with the synth before it goes
    throw;
  }
  output.abort();
  r.device = output.device_name();
  r.host_api = output.host_api();
  r.sample_rate = output.sample_rate();
  r.channels = output.channels();
  r.buffer_frames = output.buffer_frames();
  r.xruns = tap.host_underflows.load();
  r.frames = tap.frames_played.load();
  r.notes = synth.notes_played();
  r.dropped_events = synth.dropped_events();
  r.cache_seconds = synth.last_cache_seconds();
  if (!o.record.empty()) recorder.write(o.record, r.sample_rate, o.record_format);
  return r;
}

}  // namespace timbrel
