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
#include "render/gm_sends.h"
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
  // A player's pitch gestures on top of the cached (steady) notes, as render's DDSP lines make
  // them (DdspPerformanceOptions): every held note's vibrato, faded in after a delay, and a glide
  // into a legato note from the channel's key let go just before it (not from keys still held).
  double vibrato_cents = 0, vibrato_rate = 5.0, vibrato_delay = 0.35;
  double glide = 0;  // s
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
  virtual int batch(const std::string& /*timbre*/) const { return 16; }  // pitches per held_notes call
  // True when a held note is a steady oscillator at the pitch's frequency (DDSP): the loop is then
  // cut to whole periods, so its seam joins matching phases instead of cancelling them.
  virtual bool periodic(const std::string& /*timbre*/) const { return false; }
  // True when `timbre`'s held notes die away by themselves (a struck or plucked DDSP preset): the
  // whole note is played once, fading out over its last 0.1 s, and a longer hold is silent.
  virtual bool decays(const std::string& /*timbre*/) const { return false; }
  // True when a key's note plays whole whatever the key does (a drum hit): note-off and the pedal
  // do not end it, and its voice is free once the note has played.
  virtual bool one_shot(const std::string& /*timbre*/) const { return false; }
  // False when `timbre`'s notes take none of LiveOptions' vibrato and glide (render gives struck
  // and plucked DDSP programs none).
  virtual bool performs(const std::string& /*timbre*/) const { return true; }
  // The note of `pitch` after resampling to the synth's `rate` (a drum hit gets its high band).
  virtual void finish_note(std::vector<float>& /*note*/, int /*rate*/, const std::string& /*timbre*/, int /*pitch*/) const {}
  // The rate of `timbre`'s held notes (a 48 kHz DDSP model's are at 48 kHz).
  virtual int note_rate(const std::string& /*timbre*/) const { return kNoteSampleRate; }
  // The General MIDI program `timbre` plays, for its instrument's own reverb and chorus sends
  // (gm_sends.h); -1 when none (default: N of "program:N").
  virtual int gm_program(const std::string& timbre) const;
  // The reverb and chorus sends of `timbre`'s MIDI `key` until its channel sends CC91 / CC93
  // (default: its GM program's; a drum kit's differ per key).
  virtual gm::BaseSends sends(const std::string& timbre, int key) const;
};

// GANSynth's notes through the options' phase reconstruction and spectral backends. A drum model's
// hits are one-shots, made with its own phase method, and given their kit's high band from
// `highs` (render/drum_highs.h) when the synth runs above 16 kHz.
// Its timbres are the model's specs (timbre_spec.h) and two blends of them: "morph:T|A|B" (the
// slerp from A to B at T in [0, 1], as render's --morph) and "pad:X,Y|A|B|C|D" (the bilinear mix
// of render's --pad), which these make.
std::string morph_timbre(const std::string& a, const std::string& b, double position);
std::string pad_timbre(double x, double y, const std::array<std::string, 4>& corners);
class DrumHighs;
std::unique_ptr<LiveInstrument> gansynth_instrument(const Gansynth& model, const LiveOptions& options,
                                                    const DrumHighs* highs = nullptr);
// DDSP models (one, a bank or a folder of them: see DdspBank): timbres "program:N" (the bank's
// model and preset for that General MIDI program) and "preset:NAME" (DdspBank::preset_voice). Held notes
// are steady (no vibrato: the loop must repeat seamlessly), velocity-127 loudness; those of struck
// and plucked programs with a learned envelope follow it and decay.
std::unique_ptr<LiveInstrument> ddsp_instrument(const DdspBank& bank, const DdspPerformanceOptions& performance);
// A General MIDI synth's two instruments as one: timbres "drums:SPEC" are `drums`' SPEC (a kit for
// channel 10), every other timbre is `melodic`'s.
inline constexpr const char* kDrumTimbrePrefix = "drums:";
std::unique_ptr<LiveInstrument> gm_instrument(std::unique_ptr<LiveInstrument> melodic, std::unique_ptr<LiveInstrument> drums);

// The synth takes every General MIDI controller a keyboard sends, per MIDI channel (all 16, each
// with its own timbre; channels playing the same timbre share one cache): CC7/CC11 gain and CC10
// pan (smoothed over 2 ms), CC64 sustain, pitch bend in the RPN 0 range with CC1 vibrato on top
// (each voice's LFO starting at its note-on; the cached note read at a fractional position),
// CC91/CC93 reverb and chorus sends into one Room (render/room.h; until a channel sends them, the
// timbre's GM program's own sends, as render's), CC121 reset all controllers, CC120 all sound
// off, CC123 all notes off. Output is stereo; it follows render's voices sample for sample.
class LiveSynth final : public RealtimeSource {
 public:
  static constexpr int kChannels = 16;
  // Voices (FluidSynth has 256): a pedalled piano part holds one per key it has struck.
  static constexpr size_t kVoices = 128;
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
  // (-> programs[n] for that channel).
  void midi(const unsigned char* message, size_t size);
  // Starts rendering the cache for `timbre` in the background (from any non-audio thread), for
  // every channel or for one (0..15); the channel plays its old timbre until the cache is ready.
  // A bad spec throws here; a failure while rendering is kept for last_error().
  void set_timbre(const std::string& timbre);
  void set_timbre(const std::string& timbre, int channel);
  std::string last_error() const;
  // No timbre change waits or renders (its cache, if any, is handed to the next render call).
  bool idle() const;
  // Timbres that program change 0, 1, ... select (default: the instrument's programs()).
  void set_programs(std::vector<std::string> programs);
  // Attack and release times (seconds, >= 0; e.g. a plug-in's automated parameters), from any
  // thread, wait-free: later attacks and releases use them.
  void set_envelope(double attack_seconds, double release_seconds) noexcept;
  // The vibrato depth (cents) and glide time (s) of LiveOptions, the same way.
  void set_performance(double vibrato_cents, double glide_seconds) noexcept;

  size_t render(float* stereo, size_t frames) noexcept override;

  // The timbre `channel` plays (from the next buffer on, once a change has been rendered).
  std::string current_timbre(int channel = 0) const;
  size_t caches_rendered() const { return caches_rendered_.load(); }
  double last_cache_seconds() const { return last_cache_seconds_.load(); }
  uint64_t notes_played() const { return notes_played_.load(); }
  uint64_t dropped_events() const { return dropped_events_.load(); }
  int lowest_pitch(int channel = 0) const;  // of the timbre playing now on `channel`
  int highest_pitch(int channel = 0) const;

 private:
  struct Cache;
  struct Voice {
    const Cache* cache = nullptr;  // null = free
    int pitch = 0, key = 0, channel = 0;
    float gain = 0, release_level = 1;
    float reverb = 0, chorus = 0;  // its own sends (the cache's for its key)
    double pos = 0;  // in the cached note: fractional while the channel is bent
    size_t frames = 0, released_at = 0, release_frames = 1;  // output frames since the note-on
    bool held = false, sustained = false, releasing = false;
    uint64_t age = 0;
    float glide = 0;  // semitones from the legato note's key it slides from, toward 0
  };
  struct Event {
    enum Kind : unsigned char { On, Off, Control, Bend, AllOff } kind;
    unsigned char channel, number;  // number: the pitch or the controller
    uint16_t value;                 // velocity, controller value, or 14-bit bend (8192 = centre)
  };
  // A channel's controllers and what the callback smooths of them.
  struct Channel {
    const Cache* cache = nullptr;     // the timbre its new notes play
    const Cache* draining = nullptr;  // the one before, while its voices finish
    gm::ChannelControls controls;
    float gain = 0, left = 0, right = 0;  // as heard now: gain, pan
    // The sends as heard now: CC91 / CC93's levels, mixed in by cc_reverb / cc_chorus (0 while the
    // channel has sent none: each voice's own sends then count).
    float reverb = 0, chorus = 0, cc_reverb = 0, cc_chorus = 0;
  };
  static constexpr size_t kEvents = 1024, kChunk = 256;

  Cache* build_cache(const std::string& timbre) const;  // caller owns
  void worker_loop();
  Cache* cache_for(const std::string& timbre, std::unique_lock<std::mutex>& lock);  // worker: shared or built
  void publish(int channel, Cache* cache);  // worker
  void release(const Cache* cache) noexcept;  // callback: a channel lets go of its reference
  void free_cache(const Cache* cache);      // worker
  void take_pending_caches() noexcept;
  void retire_drained_caches() noexcept;
  void push(Event e) noexcept;
  void apply(const Event& e) noexcept;
  void start_voice(const Event& e) noexcept;
  Voice& voice_to_start() noexcept;
  float glide_into(int channel, int key) const noexcept;
  double performed_vibrato(double depth, size_t frames) const noexcept;  // semitones, frames since the note-on
  void control(int channel, int number, int value) noexcept;
  void key_up(Voice& v) noexcept;
  void begin_release(Voice& v, size_t frames) noexcept;
  void render_chunk(float* stereo, size_t frames) noexcept;
  void mix_voice(Voice& v, const Channel& c, size_t frames) noexcept;
  void pan_channel(Channel& c, float* stereo, size_t frames) noexcept;
  void settle(Channel& c) noexcept;
  struct Sends {
    float reverb, chorus, cc_reverb, cc_chorus;
  };
  static Sends sends_of(const Channel& c) noexcept;  // what the channel's sends glide to

  std::unique_ptr<LiveInstrument> instrument_;
  const int rate_;
  const LiveOptions options_;
  std::atomic<size_t> attack_frames_{1}, release_frames_{1};  // set_envelope may change them while playing
  std::atomic<double> vibrato_semitones_{0}, glide_frames_{0};  // set_performance's
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
  std::array<float, kChunk> own_reverb_{}, own_chorus_{};  // the same, each voice at its own sends
  std::array<float, kChunk> reverb_bus_{}, chorus_bus_{};  // every channel's sends
  std::unique_ptr<Room> room_;          // null when dry
  uint64_t clock_ = 0;
  HighPass dc_left_, dc_right_;  // the mix's DC and sub-sonic drift, as the file renderer's

  // Cache hand-over, per channel: worker -> callback (pending_, each holding one reference); a
  // cache whose last reference a channel dropped goes back through the retired_ ring.
  static constexpr size_t kRetired = 64;
  std::array<std::atomic<Cache*>, kChannels> pending_{};
  std::array<const Cache*, kRetired> retired_{};
  std::atomic<size_t> retired_written_{0}, retired_read_{0};
  std::vector<Cache*> caches_;  // worker: every cache not yet freed
  mutable std::atomic<size_t> caches_rendered_{0};
  mutable std::atomic<double> last_cache_seconds_{0};

  mutable std::mutex mutex_;  // guards requested_, published_, programs_, error_, stop_ (never taken by the callback)
  std::condition_variable wake_;
  std::array<std::string, kChannels> requested_;
  struct Published {
    std::string timbre;
    int min_pitch = 0, max_pitch = 0;
  };
  std::array<Published, kChannels> published_;  // each channel's newest cache, for current_timbre()
  std::string error_;
  std::vector<std::string> programs_;
  bool stop_ = false, building_ = false;
  std::thread worker_;
};

// A live MIDI input played with a GANSynth timbre (Engine::play_live). With `drums`, MIDI channel
// 10 plays its standard kit (with `highs`, as render's drums), as the tap answers do.
LivePlayReport play_live(const Gansynth& model, const LivePlayOptions& options, const Gansynth* drums = nullptr,
                         const DrumHighs* highs = nullptr);

// play_live on any instrument (player.cpp); `timbre` as LivePlayOptions::timbre.
LivePlayReport play_live(std::unique_ptr<LiveInstrument> instrument, const LivePlayOptions& options, const Gansynth* drums = nullptr,
                         const DrumHighs* highs = nullptr);

}  // namespace timbrel
