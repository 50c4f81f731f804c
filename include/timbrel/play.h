#pragma once
// Live playback: a NoteSequence rendered by a worker thread just ahead of an audio device
// (PortAudio; a running JACK server is preferred), or a live MIDI input played with a timbre.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/groove.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {

class EventRnn;  // timbrel/event_rnn.h

// Which MIDI system a live input listens on: Auto = the ALSA sequencer when /dev/snd/seq exists,
// else JACK MIDI.
enum class MidiBackend { Auto, Alsa, Jack };
// "auto" | "alsa" | "jack"; Error naming `parameter` otherwise.
TIMBREL_API MidiBackend parse_midi_backend(const std::string& text, const std::string& parameter = "midi_api");
TIMBREL_API std::string to_string(MidiBackend api);

struct PlayOptions {
  NoteRenderOptions render;  // render.sample_rate and channels are ignored: audio goes out in stereo at the device's rate
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
  uint64_t underruns = 0;  // buffers the renderer had not filled in time (silence was sent)
  uint64_t xruns = 0;      // cycles the audio server itself reported missed (PortAudio's output underflow)
  uint64_t frames = 0, record_overflows = 0;
  bool interrupted = false;
  double start_latency = 0;  // seconds from the call to the first audio handed to the device
  double seconds = 0;        // wall time of the whole call
  NoteRenderReport render;
};

// Live: a MIDI input played with a timbre until `interrupt` is set or `seconds` have passed.
struct LivePlayOptions {
  // Engine::play_live: GANSynth (timbre: any spec of the timbre model) or DDSP (the engine's
  // ddsp_model; timbre "program:N" or "preset:NAME"; the cached notes are steady, and `ddsp`'s
  // vibrato and glide are played on top of them).
  TimbreEngine engine = TimbreEngine::Gansynth;
  DdspPerformanceOptions ddsp;  // attack and release of the cached notes' curves
  std::string timbre = "seed:0";
  std::vector<std::string> programs;  // what program change n selects (default: the model's presets)
  std::string device;                 // audio device, as PlayOptions
  int buffer_frames = 0;
  std::string midi_port;              // index or part of a name; "" = a virtual port others connect to
  MidiBackend midi_api = MidiBackend::Auto;
  double seconds = 0;                 // 0 = until interrupted
  double attack = 0.010, release = 0.3;
  bool room = true;  // false: no reverb or chorus whatever CC91/CC93 say
  InverseOptions inverse = generated_note_inverse();
  SpectralBackend spectral;  // where the cache's spectrograms become audio (empty: the CPU)
  SpectralBackend device_spectral;
  std::string record;
  SampleFormat record_format = SampleFormat::Pcm16;
  std::function<void(const std::string& message)> status;  // ready, timbre changes, errors
  const std::atomic<bool>* interrupt = nullptr;
  // Call and response: when set, a bar of rest after a phrase makes this Melody RNN answer it
  // (answer_bars bars, from the next bar line of the phrase's grid at answer_qpm), on the synth.
  const EventRnn* answer_model = nullptr;
  double answer_qpm = 120, answer_temperature = 1.0;
  int answer_bars = 2;
  // Tap to drums: when set, note-ons of tap_key (-1: every key) are taps on a bar grid of tap_qpm
  // from the first tap, and this drumify model answers each tapped bar with a beat through the
  // next bar, on MIDI channel 10 (Engine::play_live gives it the engine's drum kit).
  const GrooveModel* tap_model = nullptr;
  double tap_qpm = 120;
  int tap_key = -1;
  GrooveOptions tap_groove;  // seed (each bar taken: the next one), temperature, hit threshold
};

struct LivePlayReport {
  std::string device, host_api, midi_port;
  int sample_rate = 0, channels = 0, buffer_frames = 0;
  uint64_t underruns = 0;  // always 0: the synth never waits for anything (kept for the summary line)
  uint64_t xruns = 0;      // cycles the audio server reported missed
  uint64_t frames = 0, notes = 0, dropped_events = 0;
  size_t timbre_changes = 0;
  double cache_seconds = 0;  // time to render one timbre's cache (the last one)
  size_t answers = 0;        // phrases answered (answer_model)
  size_t beats = 0;          // tapped bars answered with a beat (tap_model)
};

}  // namespace timbrel
