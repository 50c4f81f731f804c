#pragma once
// Live audio output through PortAudio. The real-time callback asks a RealtimeSource for stereo
// frames (interleaved L, R), maps them onto the device's channels, records them into a tap if
// asked, and never allocates, locks, logs or waits.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "audio/spsc_ring.h"

namespace timbrel {

// What the callback plays. render() runs on the audio thread: real-time safe code only.
class RealtimeSource {
 public:
  virtual ~RealtimeSource() = default;
  // Fills `frames` stereo frames (2 * frames floats, L R L R ...); returns how many frames belong
  // to the stream (the rest is silence after its end and is not recorded).
  virtual size_t render(float* stereo, size_t frames) noexcept = 0;
};

constexpr size_t kSourceChannels = 2;  // what every RealtimeSource renders

// A source that only copies from a pre-filled SPSC ring (file playback): on underrun it outputs
// silence and counts it. The ring holds interleaved stereo samples, moved in whole frames.
struct RingSource final : RealtimeSource {
  explicit RingSource(size_t capacity_frames) : ring(kSourceChannels * capacity_frames) {}
  size_t render(float* stereo, size_t frames) noexcept override;
  // Producer side: copies the whole frames that fit; returns how many.
  size_t write(const float* stereo, size_t frames) {
    return ring.write(stereo, std::min(frames, ring.writable() / kSourceChannels) * kSourceChannels) / kSourceChannels;
  }
  size_t readable_frames() const { return ring.readable() / kSourceChannels; }
  SpscRing ring;                           // producer -> callback
  std::atomic<bool> producer_done{false};  // set after the last frame is in `ring`
  std::atomic<bool> drained{false};        // set by the callback once everything was played
  std::atomic<uint64_t> underruns{0};      // callbacks that found the ring short while the producer ran
};

// What the callback sent: counts, host-reported underflows, and (if recording) the stereo frames.
struct OutputTap {
  explicit OutputTap(size_t record_frames = 0)
      : record(record_frames ? kSourceChannels * record_frames : 1), recording(record_frames > 0) {}
  SpscRing record;  // interleaved stereo, whole frames; drained by the controlling thread
  const bool recording;
  std::atomic<uint64_t> frames_played{0}, record_overflows{0}, host_underflows{0};
};

// The callback's whole work: `frames` interleaved frames of `channels` channels into `out`: a
// stereo device gets L and R, a mono one (L + R) / 2, a wider one L, R and silence on the rest.
// Public so tests can run it under an allocator that counts calls.
void output_fill(RealtimeSource& source, OutputTap& tap, float* out, size_t frames, int channels, bool host_underflow = false) noexcept;

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
  int buffer_frames() const { return buffer_frames_; }  // 0 when the host varies it
  const std::string& device_name() const { return device_name_; }
  const std::string& host_api() const { return host_api_; }
  // Starts calling output_fill; source and tap must outlive the stream (or the next stop()).
  void start(RealtimeSource& source, OutputTap& tap);
  void stop();   // plays what the host has buffered, then stops
  void abort();  // stops at once

  struct CallbackData {  // what the C callback gets
    RealtimeSource* source = nullptr;
    OutputTap* tap = nullptr;
    int channels = 0;
  };

 private:
  void* stream_ = nullptr;
  CallbackData callback_data_;
  int sample_rate_ = 0, channels_ = 0, buffer_frames_ = 0;
  std::string device_name_, host_api_;
  bool initialised_ = false, started_ = false;
};

}  // namespace timbrel
