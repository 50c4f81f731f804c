#include "jack_feeder.h"

#include <jack/midiport.h>

#include <algorithm>
#include <cmath>

namespace timbrel::test {

namespace {

jack_client_t* open_client(const std::string& name, std::string* why) {
  jack_status_t status;
  jack_client_t* client = jack_client_open(name.c_str(), JackNoStartServer, &status);
  if (!client) *why = "jack_client_open(" + name + ") failed (status " + std::to_string(int(status)) + ")";
  return client;
}

}  // namespace

bool JackFeeder::open(const std::string& name, std::string* why) {
  if (!(client_ = open_client(name + "-feeder", why)) || !(listener_ = open_client(name + "-listener", why))) return false;
  midi_out_ = jack_port_register(client_, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
  in_left_ = jack_port_register(listener_, "in_left", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  in_right_ = jack_port_register(listener_, "in_right", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  if (!midi_out_ || !in_left_ || !in_right_) {
    *why = "could not register the feeder's ports";
    return false;
  }
  jack_set_process_callback(client_, &JackFeeder::feed_cb, this);
  jack_set_process_callback(listener_, &JackFeeder::listen_cb, this);
  jack_set_xrun_callback(client_, &JackFeeder::xrun_cb, this);
  if (jack_activate(client_) != 0 || jack_activate(listener_) != 0) {
    *why = "jack_activate failed";
    return false;
  }
  return true;
}

JackFeeder::~JackFeeder() {
  for (jack_client_t* c : {listener_, client_}) {
    if (c) {
      jack_deactivate(c);
      jack_client_close(c);
    }
  }
}

bool JackFeeder::has_port(const std::string& name) const { return jack_port_by_name(client_, name.c_str()) != nullptr; }

bool JackFeeder::connect(const std::string& midi_in, const std::string& left, const std::string& right, std::string* why) {
  const std::string feeder = jack_get_client_name(client_), listener = jack_get_client_name(listener_);
  const std::pair<std::string, std::string> links[] = {
      {feeder + ":midi_out", midi_in}, {left, listener + ":in_left"}, {right, listener + ":in_right"}};
  for (const auto& [from, to] : links) {
    if (jack_connect(client_, from.c_str(), to.c_str()) != 0) {
      *why = "could not connect " + from + " to " + to;
      return false;
    }
  }
  return true;
}

void JackFeeder::send(std::vector<PluginEvent> events) {
  events_ = std::move(events);  // the callback does not look at events_ until armed
  next_ = 0;
  state_.store(kArmed);
}

void JackFeeder::reset_counts() {
  reset_.store(true);
  xruns_.store(0);
}

double JackFeeder::rms() const {
  const uint64_t n = frames_heard_.load();
  return n ? std::sqrt(sum_squares_.load() / double(2 * n)) : 0.0;
}

void JackFeeder::poll_load() {
  const float load = jack_cpu_load(client_);
  if (load > max_load_.load()) max_load_.store(load);
}

uint32_t JackFeeder::period() const { return jack_get_buffer_size(client_); }

double JackFeeder::max_graph_fraction() const { return double(max_graph_frames_.load()) / period(); }

std::vector<double> JackFeeder::late_seconds() const {
  std::vector<double> seconds;
  const double rate = jack_get_sample_rate(listener_);
  for (size_t i = 0; i < std::min<uint64_t>(late_.load(), kLateLog); ++i) seconds.push_back(double(late_at_[i].load()) / rate);
  return seconds;
}

double JackFeeder::graph_end_quantile(double q) const {
  uint64_t total = 0;
  for (const auto& bin : graph_ends_) total += bin.load();
  uint64_t seen = 0;
  for (int i = 0; i < kBins; ++i)
    if ((seen += graph_ends_[size_t(i)].load()) >= q * double(total)) return (i + 1) / 20.0;  // the bin's upper end
  return kBins / 20.0;
}

int JackFeeder::feed_cb(jack_nframes_t frames, void* self) {
  auto* feeder = static_cast<JackFeeder*>(self);
  void* midi = jack_port_get_buffer(feeder->midi_out_, frames);
  jack_midi_clear_buffer(midi);
  feeder->play_events(midi, frames);
  return 0;
}

int JackFeeder::listen_cb(jack_nframes_t frames, void* self) { return static_cast<JackFeeder*>(self)->listen(frames); }

int JackFeeder::xrun_cb(void* self) {
  static_cast<JackFeeder*>(self)->xruns_.fetch_add(1);
  return 0;
}

void JackFeeder::play_events(void* midi_buffer, jack_nframes_t frames) {
  if (state_.load(std::memory_order_acquire) == kArmed) {
    position_ = 0;
    state_.store(kPlaying, std::memory_order_relaxed);
  }
  if (state_.load(std::memory_order_relaxed) != kPlaying) return;
  for (; next_ < events_.size() && events_[next_].frame < position_ + frames; ++next_) {
    const PluginEvent& e = events_[next_];
    const auto offset = jack_nframes_t(e.frame > position_ ? e.frame - position_ : 0);
    if (jack_midi_event_write(midi_buffer, offset, e.bytes.data(), e.bytes.size()) != 0) dropped_.fetch_add(1);
  }
  position_ += frames;
  if (next_ == events_.size()) state_.store(kIdle, std::memory_order_release);
}

int JackFeeder::listen(jack_nframes_t frames) {
  if (reset_.exchange(false)) {
    sum_squares_.store(0);
    frames_heard_.store(0);
    peak_.store(0);
    late_.store(0);
    max_graph_frames_.store(0);
    for (auto& bin : graph_ends_) bin.store(0);
  }
  const auto* left = static_cast<const float*>(jack_port_get_buffer(in_left_, frames));
  const auto* right = static_cast<const float*>(jack_port_get_buffer(in_right_, frames));
  double sum = 0;
  float peak = peak_.load(std::memory_order_relaxed);
  for (jack_nframes_t i = 0; i < frames; ++i) {
    sum += double(left[i]) * left[i] + double(right[i]) * right[i];
    peak = std::max({peak, std::fabs(left[i]), std::fabs(right[i])});
  }
  sum_squares_.store(sum_squares_.load(std::memory_order_relaxed) + sum, std::memory_order_relaxed);
  frames_heard_.store(frames_heard_.load(std::memory_order_relaxed) + frames, std::memory_order_relaxed);
  peak_.store(peak, std::memory_order_relaxed);
  // The graph's end: the feeder and the client under test have run; this cycle's audio is done.
  const jack_nframes_t used = jack_frames_since_cycle_start(listener_);
  if (used > frames)
    if (const uint64_t n = late_.fetch_add(1, std::memory_order_relaxed); n < kLateLog)
      late_at_[n].store(frames_heard_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  if (used > max_graph_frames_.load(std::memory_order_relaxed)) max_graph_frames_.store(used, std::memory_order_relaxed);
  graph_ends_[std::min<size_t>(kBins - 1, size_t(20.0 * used / frames))].fetch_add(1, std::memory_order_relaxed);
  return 0;
}

}  // namespace timbrel::test
