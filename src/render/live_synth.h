#pragma once
// A playable instrument from a timbre model (GANSynth or DDSP): every pitch of the current timbre
// is rendered ahead into a cache of held notes (a head, then a loop that repeats while the key is
// held), and the audio callback mixes voices from it, so a note-on sounds at the start of the next
// device buffer. Events reach the callback through a lock-free queue; a timbre change re-renders
// the cache on a worker thread while the old one keeps playing.
#include <array>
#include <memory>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audio/audio_output.h"
#include "render/gm_controls.h"
#include "render/note_level.h"
#include "timbrel/ddsp.h"
#include "timbrel/gansynth.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/spectral.h"

namespace timbrel {

struct LiveOptions {
  double attack = 0.010, release = 0.3;
  InverseOptions inverse = generated_note_inverse();
  int batch = 16;
  int threads = 0;
  SpectralBackend spectral;  // empty: the CPU spectral path
  SpectralBackend device_spectral;
  bool room = true;  // false: no reverb or chorus whatever CC91/CC93 say (dry)
};

class DdspBank;
class Room;

// What a LiveSynth plays: a model's timbres and their held notes.
class LiveInstrument {
 public:
  virtual ~LiveInstrument() = default;
  // Throws an Error naming `timbre` when the model cannot play it.
  virtual void check_timbre(const std::string& timbre) const = 0;
  // The pitches `timbre` plays; keys outside are moved by octaves into them.
  virtual std::pair<int, int> pitch_range(const std::string& timbre) const = 0;
  // What program change 0, 1, ... selects by default.
  virtual std::vector<std::string> programs() const = 0;
  // Pitches [first, first + count) of `timbre`, each held for 3 s, at note_rate(timbre), levelled
  // (a peak of 1.0 = the renderer's full note level).
  virtual std::vector<std::vector<float>> held_notes(const std::string& timbre, int first, int count) const = 0;
  virtual int batch() const { return 16; }  // pitches per held_notes call
  // True when a held note is a steady oscillator at the pitch's frequency (DDSP): the loop is then
  // cut to whole periods, so its seam joins matching phases instead of cancelling them.
  virtual bool periodic() const { return false; }
  // True when `timbre`'s held notes die away by themselves (a struck or plucked DDSP preset): the
  // whole note is played once, fading out over its last 0.1 s, and a longer hold is silent.
  virtual bool decays(const std::string& /*timbre*/) const { return false; }
  // True when a key's note plays whole whatever the key does (a drum hit): note-off and the pedal
  // do not end it, and its voice is free once the note has played.
  virtual bool one_shot(const std::string& /*timbre*/) const { return false; }
  // The note of `pitch` after resampling to the synth's `rate` (a drum hit gets its high band).
  virtual void finish_note(std::vector<float>& /*note*/, int /*rate*/, const std::string& /*timbre*/, int /*pitch*/) const {}
  // The rate of `timbre`'s held notes (a 48 kHz DDSP model's are at 48 kHz).
  virtual int note_rate(const std::string& /*timbre*/) const { return kNoteSampleRate; }
  // The General MIDI program `timbre` plays, for its instrument's own reverb and chorus sends
  // (gm_sends.h); -1 when none (default: N of "program:N").
  virtual int gm_program(const std::string& timbre) const;
};

// GANSynth's notes through the options' phase reconstruction and spectral backends. A drum model's
// hits are one-shots, made with its own phase method, and given their kit's high band from
// `highs` (render/drum_highs.h) when the synth runs above 16 kHz.
class DrumHighs;
std::unique_ptr<LiveInstrument> gansynth_instrument(const Gansynth& model, const LiveOptions& options,
                                                    const DrumHighs* highs = nullptr);
// DDSP models (one, or a folder bank: see DdspBank): timbres "program:N" (the bank's model and
// preset for that General MIDI program) and, for a model with presets, "preset:NAME". Held notes
// are steady (no vibrato: the loop must repeat seamlessly), velocity-127 loudness; those of struck
// and plucked programs with a learned envelope follow it and decay.
std::unique_ptr<LiveInstrument> ddsp_instrument(const DdspBank& bank, const DdspPerformanceOptions& performance);

// The synth takes every General MIDI controller a keyboard sends, per MIDI channel (all 16; one
// timbre for all): CC7/CC11 gain and CC10 pan (smoothed over a few ms), CC64 sustain, pitch bend
// in the RPN 0 range with CC1 vibrato on top (the cached note read at a fractional position),
// CC91/CC93 reverb and chorus sends into one Room (render/room.h; until a channel sends them, the
// timbre's GM program's own sends, as render's), CC121 reset all controllers,
// CC120 all sound off, CC123 all notes off. Output is stereo.
class LiveSynth final : public RealtimeSource {
 public:
  static constexpr int kChannels = 16;
  // Renders the cache of `timbre` before returning (a second or two on a CPU).
  LiveSynth(const Gansynth& model, int sample_rate, const std::string& timbre, const LiveOptions& options = {});
  LiveSynth(std::unique_ptr<LiveInstrument> instrument, int sample_rate, const std::string& timbre, const LiveOptions& options = {});
  ~LiveSynth() override;

  // Control, from one thread at a time (e.g. the MIDI thread): wait-free, never blocks the audio.
  // Channels are 0..15; out-of-range arguments are ignored.
  void note_on(int pitch, int velocity, int channel = 0) noexcept;  // velocity 0 = note off
  void note_off(int pitch, int channel = 0) noexcept;
  void sustain(bool down, int channel = 0) noexcept;                // CC64
  void control_change(int controller, int value, int channel = 0) noexcept;
  void pitch_bend(int value, int channel = 0) noexcept;             // -8192..8191
  void all_notes_off() noexcept;  // every channel, pedals lifted
  // A raw MIDI message on any channel: note on/off, control change, pitch bend, program change
  // (-> programs[n], for every channel: the synth plays one timbre).
  void midi(const unsigned char* message, size_t size);
  // Starts re-rendering the cache for `timbre` in the background (from any non-audio thread).
  // A bad spec throws here; a failure while rendering is kept for last_error().
  void set_timbre(const std::string& timbre);
  std::string last_error() const;
  // No timbre change waits or renders (its cache, if any, is handed to the next render call).
  bool idle() const;
  // Timbres that program change 0, 1, ... select (default: the instrument's programs()).
  void set_programs(std::vector<std::string> programs);
  // Attack and release times (seconds, >= 0; e.g. a plug-in's automated parameters), from any
  // thread, wait-free: later attacks and releases use them.
  void set_envelope(double attack_seconds, double release_seconds) noexcept;

  size_t render(float* stereo, size_t frames) noexcept override;

  std::string current_timbre() const;           // the one the callback plays now
  size_t caches_rendered() const { return caches_rendered_.load(); }
  double last_cache_seconds() const { return last_cache_seconds_.load(); }
  uint64_t notes_played() const { return notes_played_.load(); }
  uint64_t dropped_events() const { return dropped_events_.load(); }
  int lowest_pitch() const;   // of the timbre playing now
  int highest_pitch() const;

 private:
  struct Cache;
  struct Voice {
    const Cache* cache = nullptr;  // null = free
    int pitch = 0, key = 0, channel = 0;
    float gain = 0, release_level = 1;
    double pos = 0;  // in the cached note: fractional while the channel is bent
    size_t frames = 0, released_at = 0, release_frames = 1;  // output frames since the note-on
    bool held = false, sustained = false, releasing = false;
    uint64_t age = 0;
  };
  struct Event {
    enum Kind : unsigned char { On, Off, Control, Bend, AllOff } kind;
    unsigned char channel, number;  // number: the pitch or the controller
    uint16_t value;                 // velocity, controller value, or 14-bit bend (8192 = centre)
  };
  // A channel's controllers and what the callback smooths of them.
  struct Channel {
    gm::ChannelControls controls;
    float gain = 0, left = 0, right = 0, reverb = 0, chorus = 0;  // as heard now: gain, pan, send levels
    double bend = 0, vibrato = 0, phase = 0;  // semitones, vibrato depth (semitones), LFO phase (cycles)
  };
  static constexpr size_t kVoices = 32, kEvents = 1024, kChunk = 256;

  Cache* build_cache(const std::string& timbre) const;  // caller owns
  void worker_loop();
  void push(Event e) noexcept;
  void apply(const Event& e) noexcept;
  void start_voice(const Event& e) noexcept;
  Voice& voice_to_start() noexcept;
  void control(int channel, int number, int value) noexcept;
  void key_up(Voice& v) noexcept;
  void begin_release(Voice& v, size_t frames) noexcept;
  void render_chunk(float* stereo, size_t frames) noexcept;
  const double* channel_steps(Channel& c, size_t frames) noexcept;  // null: every step is 1
  void mix_voice(Voice& v, const double* steps, size_t frames) noexcept;
  void pan_channel(Channel& c, float* stereo, size_t frames) noexcept;
  void settle(Channel& c) noexcept;
  std::pair<float, float> send_levels(const Channel& c) const noexcept;  // reverb, chorus

  std::unique_ptr<LiveInstrument> instrument_;
  const int rate_;
  const LiveOptions options_;
  std::atomic<size_t> attack_frames_{1}, release_frames_{1};  // set_envelope may change them while playing
  size_t cut_frames_ = 1;
  double smoothing_ = 1;  // one-pole coefficient per frame of the controller smoothing

  // Event queue: control thread -> callback.
  std::array<Event, kEvents> events_{};
  std::atomic<size_t> events_written_{0}, events_read_{0};
  std::atomic<uint64_t> dropped_events_{0}, notes_played_{0};

  // Callback-owned state.
  std::array<Voice, kVoices> voices_{};
  std::array<Channel, kChannels> channels_{};
  std::array<float, kChunk> bus_{};     // one channel's voices, before gain and pan
  std::array<float, kChunk> reverb_bus_{}, chorus_bus_{};  // every channel's sends
  std::unique_ptr<Room> room_;          // null when dry
  std::array<double, kChunk> steps_{};  // one channel's read steps
  const Cache* current_ = nullptr;
  const Cache* draining_ = nullptr;  // previous cache while its voices finish
  uint64_t clock_ = 0;
  HighPass dc_left_, dc_right_;  // the mix's DC and sub-sonic drift, as the file renderer's

  // Cache hand-over: worker -> callback (pending_), callback -> worker (retired_).
  std::atomic<Cache*> pending_{nullptr}, retired_{nullptr};
  std::atomic<const Cache*> playing_{nullptr};  // for current_timbre()
  mutable std::atomic<size_t> caches_rendered_{0};
  mutable std::atomic<double> last_cache_seconds_{0};

  mutable std::mutex mutex_;  // guards requested_, programs_, stop_ (never taken by the callback)
  std::condition_variable wake_;
  std::string requested_, error_;
  std::vector<std::string> programs_;
  bool stop_ = false, building_ = false;
  std::thread worker_;
};

// A live MIDI input played with a GANSynth timbre (Engine::play_live).
LivePlayReport play_live(const Gansynth& model, const LivePlayOptions& options);

// play_live on any instrument (player.cpp); `timbre` as LivePlayOptions::timbre.
LivePlayReport play_live(std::unique_ptr<LiveInstrument> instrument, const LivePlayOptions& options);

}  // namespace timbrel
