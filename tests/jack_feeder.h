#pragma once
// Two JACK clients around a client under test, as a DAW's MIDI track and bus: the feeder plays MIDI
// events into its MIDI input at their exact frames, the listener takes its stereo output (so the
// graph runs feeder, client, listener in that order). The listener keeps the audio's energy and
// peak and, at the end of each cycle's graph, how far into the period it got: a cycle whose graph
// ran past its period is one the client under test made late. Every xrun the server reports is
// counted too. Their process callbacks only read and write preallocated memory.
#include <jack/jack.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "plugin_phrase.h"

namespace timbrel::test {

class JackFeeder {
 public:
  // Opens clients NAME-feeder and NAME-listener on the server in $JACK_DEFAULT_SERVER; false
  // (and why) on failure.
  bool open(const std::string& name, std::string* why);
  ~JackFeeder();
  bool has_port(const std::string& name) const;
  // Connects its MIDI out to `midi_in` and `left`/`right` to its audio ins.
  bool connect(const std::string& midi_in, const std::string& left, const std::string& right, std::string* why);

  // Sends `events` (frames relative to the first cycle after the call) once, then stays quiet.
  void send(std::vector<PluginEvent> events);  // not while a previous send is playing
  bool finished() const { return state_.load() == kIdle; }
  void reset_counts();  // audio statistics and xruns from the next cycle on

  int xruns() const { return xruns_.load(); }
  double rms() const;        // of both output channels since reset_counts
  float peak() const { return peak_.load(); }
  uint64_t dropped_events() const { return dropped_.load(); }  // the MIDI buffer was full
  float max_dsp_load() const { return max_load_.load(); }      // JACK's DSP load, percent (sampled by poll)
  uint64_t late_cycles() const { return late_.load(); }  // the graph ran past its period
  std::vector<double> late_seconds() const;  // when the first 256 of them ended (s of audio heard)
  double max_graph_fraction() const;                   // the latest graph's end, in periods
  // The graph's end that a fraction `q` of the cycles reached (in periods, to 1/20 of one).
  double graph_end_quantile(double q) const;
  void poll_load();  // samples jack_cpu_load (main thread)
  uint32_t period() const;

 private:
  enum State { kIdle, kArmed, kPlaying };
  static int feed_cb(jack_nframes_t frames, void* self);
  static int listen_cb(jack_nframes_t frames, void* self);
  static int xrun_cb(void* self);
  void play_events(void* midi_buffer, jack_nframes_t frames);
  int listen(jack_nframes_t frames);

  jack_client_t *client_ = nullptr, *listener_ = nullptr;
  jack_port_t *midi_out_ = nullptr, *in_left_ = nullptr, *in_right_ = nullptr;
  std::vector<PluginEvent> events_;
  std::atomic<int> state_{kIdle};
  size_t next_ = 0;
  uint64_t position_ = 0;
  // Written by the process callback only; atomics so that the main thread may read them.
  std::atomic<double> sum_squares_{0};
  std::atomic<uint64_t> frames_heard_{0};
  std::atomic<float> peak_{0};
  std::atomic<bool> reset_{false};
  std::atomic<int> xruns_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<float> max_load_{0};
  std::atomic<uint64_t> late_{0};
  static constexpr size_t kLateLog = 256;
  std::array<std::atomic<uint64_t>, kLateLog> late_at_{};  // frames heard when a late cycle ended
  std::atomic<uint32_t> max_graph_frames_{0};
  static constexpr int kBins = 100;  // the graph's end in 1/20 periods; the last bin: 5 periods or more
  std::array<std::atomic<uint64_t>, kBins> graph_ends_{};
};

}  // namespace timbrel::test
