#include "audio/audio_output.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "timbrel/build_config.h"
#include "timbrel/error.h"

#if TIMBREL_PORTAUDIO
#include <portaudio.h>

#include "audio/quiet_stderr.h"
#endif

namespace timbrel {
namespace {
thread_local bool t_in_callback = false;  // trivially constructed: no allocation on first use
}

bool in_audio_callback() noexcept { return t_in_callback; }
AudioCallbackScope::AudioCallbackScope() noexcept { t_in_callback = true; }
AudioCallbackScope::~AudioCallbackScope() { t_in_callback = false; }

size_t RingSource::render(float* stereo, size_t frames) noexcept {
  // Read the flag before the ring: if the producer had finished, the ring holds everything left.
  const bool done = producer_done.load(std::memory_order_acquire);
  // Whole frames only: a frame the producer is halfway through writing waits for the next call.
  const size_t want = std::min(frames, readable_frames());
  const size_t got = ring.read(stereo, want * kSourceChannels) / kSourceChannels;
  if (got < frames) {
    std::memset(stereo + got * kSourceChannels, 0, (frames - got) * kSourceChannels * sizeof(float));
    if (!done) underruns.fetch_add(1, std::memory_order_relaxed);
  }
  if (done && got < frames) drained.store(true, std::memory_order_release);
  // The silence of an underrun was sent too; the silence after the end is not the stream's.
  return done ? got : frames;
}

namespace {

// Renders `frames` stereo frames into `stereo` and records and counts what belongs to the stream.
size_t render_and_tap(RealtimeSource& source, OutputTap& tap, float* stereo, size_t frames) noexcept {
  const size_t sent = source.render(stereo, frames);
  if (tap.recording && sent) {
    // Whole frames, so a recording that overflowed once stays aligned (it is not written anyway).
    const size_t fits = std::min(sent, tap.record.writable() / kSourceChannels);
    tap.record.write(stereo, fits * kSourceChannels);
    if (fits < sent) tap.record_overflows.fetch_add(1, std::memory_order_relaxed);
  }
  tap.frames_played.fetch_add(sent, std::memory_order_relaxed);
  return sent;
}

// A mono device: the source renders into a stack buffer, chunk by chunk, and each frame is (L + R) / 2.
void fill_mono(RealtimeSource& source, OutputTap& tap, float* out, size_t frames) noexcept {
  constexpr size_t kChunk = 512;
  float stereo[kChunk * kSourceChannels];
  bool ended = false;
  for (size_t at = 0; at < frames; at += kChunk) {
    const size_t n = std::min(kChunk, frames - at);
    if (ended) {  // the stream ended in an earlier chunk: silence, without asking the source again
      std::memset(out + at, 0, n * sizeof(float));
      continue;
    }
    ended = render_and_tap(source, tap, stereo, n) < n;
    for (size_t i = 0; i < n; ++i) out[at + i] = 0.5f * (stereo[2 * i] + stereo[2 * i + 1]);
  }
}

}  // namespace

void output_fill(RealtimeSource& source, OutputTap& tap, float* out, size_t frames, int channels, bool host_underflow) noexcept {
  AudioCallbackScope realtime;
  if (host_underflow) tap.host_underflows.fetch_add(1, std::memory_order_relaxed);
  if (channels < 2) return fill_mono(source, tap, out, frames);
  render_and_tap(source, tap, out, frames);
  // Stereo -> the device's layout, from the back so nothing is overwritten before it is read.
  const size_t width = size_t(channels);
  if (width > kSourceChannels)
    for (size_t i = frames; i-- > 0;) {
      const float left = out[2 * i], right = out[2 * i + 1];
      float* frame = out + i * width;
      frame[0] = left, frame[1] = right;
      std::fill(frame + 2, frame + width, 0.0f);
    }
}

#if TIMBREL_PORTAUDIO
namespace {

int pa_callback(const void*, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*, PaStreamCallbackFlags flags, void* user) {
  auto* d = static_cast<AudioOutput::CallbackData*>(user);
  output_fill(*d->source, *d->tap, static_cast<float*>(output), frames, d->channels, (flags & paOutputUnderflow) != 0);
  return paContinue;
}

void check(PaError err, const std::string& what) {
  if (err != paNoError) throw Error("audio output", what + ": " + Pa_GetErrorText(err));
}

PaDeviceIndex choose_device(const std::string& wanted) {
  const int count = Pa_GetDeviceCount();
  if (wanted.empty()) {
    // A running JACK server first: PortAudio lists the JACK host API only when it could connect.
    const PaHostApiIndex jack = Pa_HostApiTypeIdToHostApiIndex(paJACK);
    if (jack >= 0) {
      const PaHostApiInfo* api = Pa_GetHostApiInfo(jack);
      if (api && api->defaultOutputDevice >= 0) return api->defaultOutputDevice;
    }
    const PaDeviceIndex def = Pa_GetDefaultOutputDevice();
    if (def < 0) throw Error("audio output", "no default output device (is an audio server or sound card there? `timbrel info` lists devices)");
    return def;
  }
  char* end = nullptr;
  const long index = std::strtol(wanted.c_str(), &end, 10);
  if (end && *end == '\0') {
    if (index < 0 || index >= count) throw Error("audio_device " + wanted, "no device with that index (`timbrel info` lists them)");
    const PaDeviceInfo* d = Pa_GetDeviceInfo(PaDeviceIndex(index));
    if (!d || d->maxOutputChannels < 1) throw Error("audio_device " + wanted, "is not an output device");
    return PaDeviceIndex(index);
  }
  for (int i = 0; i < count; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (d && d->maxOutputChannels > 0 && d->name && std::strstr(d->name, wanted.c_str())) return i;
  }
  throw Error("audio_device " + wanted, "no output device whose name contains it (`timbrel info` lists them)");
}

}  // namespace

AudioOutput::AudioOutput(const OutputOptions& o) {
  {
    QuietStderr quiet;
    check(Pa_Initialize(), "PortAudio initialisation");
  }
  initialised_ = true;
  const PaDeviceIndex device = choose_device(o.device);
  const PaDeviceInfo* info = Pa_GetDeviceInfo(device);
  const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
  device_name_ = info->name ? info->name : "";
  host_api_ = api && api->name ? api->name : "";
  channels_ = std::min(info->maxOutputChannels, 2);
  PaStreamParameters out{};
  out.device = device;
  out.channelCount = channels_;
  out.sampleFormat = paFloat32;
  out.suggestedLatency = info->defaultHighOutputLatency;
  // The device's own rate first (JACK allows no other), then the common ones.
  PaError err = paInvalidSampleRate;
  for (double rate : {info->defaultSampleRate, 48000.0, 44100.0, 16000.0}) {
    if (rate <= 0 || Pa_IsFormatSupported(nullptr, &out, rate) != paFormatIsSupported) continue;
    err = Pa_OpenStream(&stream_, nullptr, &out, rate, o.buffer_frames > 0 ? unsigned(o.buffer_frames) : paFramesPerBufferUnspecified,
                        paNoFlag, pa_callback, &callback_data_);
    if (err == paNoError) {
      sample_rate_ = int(rate);
      buffer_frames_ = o.buffer_frames;
      break;
    }
  }
  if (err != paNoError) {
    Pa_Terminate();
    initialised_ = false;
    check(err, "opening \"" + device_name_ + "\"");
  }
}

AudioOutput::~AudioOutput() {
  if (stream_) {
    if (started_) Pa_AbortStream(stream_);
    Pa_CloseStream(stream_);
  }
  if (initialised_) Pa_Terminate();
}

void AudioOutput::start(RealtimeSource& source, OutputTap& tap) {
  callback_data_ = {&source, &tap, channels_};
  check(Pa_StartStream(stream_), "starting \"" + device_name_ + "\"");
  started_ = true;
}

void AudioOutput::stop() {
  if (!started_) return;
  started_ = false;
  check(Pa_StopStream(stream_), "stopping \"" + device_name_ + "\"");
}
void AudioOutput::abort() {
  if (!started_) return;
  started_ = false;
  check(Pa_AbortStream(stream_), "stopping \"" + device_name_ + "\"");
}
#else
AudioOutput::AudioOutput(const OutputOptions&) {
  throw Error("audio output", "this build has no PortAudio (TIMBREL_PORTAUDIO=OFF)");
}
AudioOutput::~AudioOutput() = default;
void AudioOutput::start(RealtimeSource&, OutputTap&) {}
void AudioOutput::stop() {}
void AudioOutput::abort() {}
#endif

}  // namespace timbrel
