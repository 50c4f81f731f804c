#pragma once
// Live playback: a NoteSequence rendered by a worker thread just ahead of an audio device
// (PortAudio; a running JACK server is preferred), or a live MIDI input played with a timbre.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {

struct PlayOptions {
  NoteRenderOptions render;  // render.sample_rate is ignored: audio goes out at the device's rate
  std::string device;        // name (substring) or index; "" = JACK if running, else the default
  int buffer_frames = 0;     // 0 = the host's choice
  std::string record;        // if set: a WAV/FLAC of exactly the samples sent to the device
  SampleFormat record_format = SampleFormat::Pcm16;
  double ahead_seconds = 4.0;     // how far the worker may render ahead (ring size)
  double prefill_seconds = 0.25;  // rendered before the device starts
  std::function<void(double played_s, double total_s)> progress;  // called from the controlling thread
  const std::atomic<bool>* interrupt = nullptr;  // set (e.g. from a SIGINT handler) to stop early
};

struct PlayReport {
  std::string device, host_api;
  int sample_rate = 0, channels = 0;
  uint64_t underruns = 0, frames = 0, record_overflows = 0;
  bool interrupted = false;
  double start_latency = 0;  // seconds from the call to the first audio handed to the device
  double seconds = 0;        // wall time of the whole call
  NoteRenderReport render;
};

PlayReport play_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const PlayOptions& options);

}  // namespace timbrel
