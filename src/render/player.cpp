// Streaming playback of a NoteSequence: NoteRenderer on a worker thread -> streaming soxr to the
// device's rate -> SPSC ring -> PortAudio callback (which only copies).
#include <chrono>
#include <exception>
#include <thread>

#include "audio/audio_output.h"
#include "audio/stream_resampler.h"
#include "render/note_renderer.h"
#include "timbrel/error.h"
#include "timbrel/play.h"

namespace timbrel {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBlock = 1024;  // samples at 16 kHz the worker renders per step (64 ms)

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Producer: renders block by block and waits (sleeps) while the ring is full.
void produce(NoteRenderer& renderer, int rate, StreamFeed& feed, const std::atomic<bool>& stop, std::exception_ptr& failure) {
  try {
    StreamResampler resampler(kNoteSampleRate, rate);
    std::vector<float> block, out;
    auto push = [&] {
      for (size_t at = 0; at < out.size() && !stop;) {
        at += feed.ring.write(out.data() + at, out.size() - at);
        if (at < out.size()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      out.clear();
    };
    while (!renderer.finished() && !stop) {
      block.clear();
      renderer.render_until(renderer.emitted() + kBlock, block);
      resampler.process(block.data(), block.size(), out);
      push();
    }
    resampler.flush(out);
    push();
  } catch (...) {
    failure = std::current_exception();
  }
  feed.producer_done.store(true, std::memory_order_release);
}

}  // namespace

PlayReport play_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const PlayOptions& o) {
  const auto t0 = Clock::now();
  if (o.ahead_seconds < 0.5) throw Error("play", "must render at least 0.5 s ahead");
  NoteRenderer renderer(seq, melodic, drums, o.render);  // validates the song before any device opens
  const double total_s = double(renderer.total_samples()) / kNoteSampleRate;

  AudioOutput output({o.device, o.buffer_frames});
  const int rate = output.sample_rate();
  // The ring bounds how far ahead the worker renders; the record ring is drained every 20 ms.
  StreamFeed feed(size_t(o.ahead_seconds * rate), o.record.empty() ? 0 : size_t(4.0 * rate));

  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::thread worker([&] { produce(renderer, rate, feed, stop, failure); });

  PlayReport report;
  std::vector<float> recorded, scratch(8192);
  auto drain_record = [&] {
    size_t n;
    while ((n = feed.record.read(scratch.data(), scratch.size())) > 0) recorded.insert(recorded.end(), scratch.begin(), scratch.begin() + long(n));
  };
  try {
    const size_t prefill = size_t(o.prefill_seconds * rate);
    while (feed.ring.readable() < prefill && !feed.producer_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (failure) std::rethrow_exception(failure);
    output.start(feed);
    report.start_latency = since(t0);
    while (!feed.drained.load(std::memory_order_acquire)) {
      if (o.interrupt && o.interrupt->load()) {
        report.interrupted = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      drain_record();
      if (failure) std::rethrow_exception(failure);
      if (o.progress) o.progress(double(feed.frames_played.load()) / rate, total_s);
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
      output.stop();  // the callback must be done with `feed` before it goes
    } catch (...) {
    }
    throw;
  }
  worker.join();
  drain_record();
  report.device = output.device_name();
  report.host_api = output.host_api();
  report.sample_rate = rate;
  report.channels = output.channels();
  report.underruns = feed.underruns.load();
  report.frames = feed.frames_played.load();
  report.record_overflows = feed.record_overflows.load();
  report.render = renderer.report();
  if (!o.record.empty()) {
    if (report.record_overflows) throw Error(o.record, "the recording fell behind the device (" + std::to_string(report.record_overflows) + " overflows); not written");
    Audio a;
    a.sample_rate = rate;
    a.channels = output.channels();
    a.samples.resize(recorded.size() * size_t(a.channels));
    for (size_t i = 0; i < recorded.size(); ++i)
      for (int c = 0; c < a.channels; ++c) a.samples[i * size_t(a.channels) + size_t(c)] = recorded[i];
    write_sound_file(o.record, a, o.record_format);
  }
  report.seconds = since(t0);
  return report;
}

}  // namespace timbrel
