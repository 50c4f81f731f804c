#pragma once
// Live audio output through PortAudio. The real-time callback only copies mono samples from a
// pre-filled SPSC ring into the device buffer (every channel gets the same signal): it never
// allocates, locks, logs or waits. When the ring runs dry before the producer has finished it
// outputs silence and counts an underrun.
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "audio/spsc_ring.h"

namespace timbrel {

// State shared by the producer (worker thread), the callback and the controlling thread.
struct StreamFeed {
  explicit StreamFeed(size_t ring_capacity, size_t record_capacity = 0)
      : ring(ring_capacity), record(record_capacity ? record_capacity : 1), recording(record_capacity > 0) {}
  SpscRing ring;                          // producer -> callback
  SpscRing record;                        // callback -> recorder: exactly the frames sent (mono)
  const bool recording;
  std::atomic<bool> producer_done{false};  // set after the last sample is in `ring`
  std::atomic<bool> drained{false};        // set by the callback once everything was played
  std::atomic<uint64_t> underruns{0};      // callbacks that found the ring short while the producer ran
  std::atomic<uint64_t> frames_played{0};
  std::atomic<uint64_t> record_overflows{0};
};

// The callback's work: fills `frames` interleaved frames of `channels` channels. Public so tests
// can run it under an allocator that aborts on use.
void stream_fill(StreamFeed& feed, float* out, size_t frames, int channels) noexcept;
// True on a thread while it runs real-time code (inside an AudioCallbackScope), so allocation
// hooks in tests can tell callback allocations from others.
bool in_audio_callback() noexcept;
class AudioCallbackScope {
 public:
  AudioCallbackScope() noexcept;
  ~AudioCallbackScope();
  AudioCallbackScope(const AudioCallbackScope&) = delete;
  AudioCallbackScope& operator=(const AudioCallbackScope&) = delete;
};

struct OutputOptions {
  std::string device;     // name (substring) or index; "" = a running JACK server, else the default
  int buffer_frames = 0;  // 0 = the host's choice
};

class AudioOutput {
 public:
  // Opens (does not start) a stream on the chosen device at its native rate.
  explicit AudioOutput(const OutputOptions& options);
  ~AudioOutput();
  AudioOutput(const AudioOutput&) = delete;
  AudioOutput& operator=(const AudioOutput&) = delete;

  int sample_rate() const { return sample_rate_; }
  int channels() const { return channels_; }
  const std::string& device_name() const { return device_name_; }
  const std::string& host_api() const { return host_api_; }
  // Starts calling stream_fill on `feed`, which must outlive the stream (or the next stop()).
  void start(StreamFeed& feed);
  void stop();   // plays what the host has buffered, then stops
  void abort();  // stops at once

 private:
  void* stream_ = nullptr;
  std::pair<StreamFeed*, int> callback_data_{nullptr, 0};  // what the callback gets: feed, channels
  int sample_rate_ = 0, channels_ = 0;
  std::string device_name_, host_api_;
  bool initialised_ = false, started_ = false;
};

}  // namespace timbrel
