#pragma once
// The DAW instrument's engine, independent of any plug-in API: the library's live synth
// (render/live_synth.h) driven block by block with sample-accurate MIDI, host parameters kept
// in atomics, and every slow step (loading a model, rendering a timbre's note cache) on a worker
// thread. The audio thread (process) never allocates, locks, logs or waits: it swaps in what
// the worker finished through atomic pointers and hands the old back for deletion.
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace timbrel::plugin {

// What the melodic channels play is kTimbreMode's choice:
// - kModeGmPrograms: kProgram on every channel; a MIDI program change sets its own channel's (until
//   the parameter changes again);
// - kModePreset: the model's preset number kPreset (its card's order; a DDSP bank's: DdspBank::presets), on every channel;
// - kModeSeed: the GANSynth latent drawn from seed kSeed;
// - kModeMorph: GANSynth's slerp from GM program kMorphA to kMorphB at kMorphPosition;
// - kModePad: NSynth Super's pad, GM programs kCornerA..D at the corners, at kPadX, kPadY.
// (Morph and pad positions are taken in steps of 1/32: each step is a timbre to render.) kDrumKit:
// the GM drum-kit program channel 10 plays (a program change there sets it). kVibrato and kGlide:
// the DDSP engine's played vibrato (cents, after 0.35 s) and glide into legato notes (s). kReady
// is an output (read-only): 1 once the engine and every channel's timbre are built and playing.
enum Parameter : uint32_t {
  kEngine, kTimbreMode, kProgram, kPreset, kSeed, kMorphA, kMorphB, kMorphPosition, kPadX, kPadY,
  kCornerA, kCornerB, kCornerC, kCornerD, kDrumKit, kGainDb, kAttack, kRelease, kVibrato, kGlide,
  kReady, kParameterCount
};
enum TimbreMode { kModeGmPrograms, kModePreset, kModeSeed, kModeMorph, kModePad };
inline constexpr int kTimbreModes = 5;

struct ParameterInfo {
  const char* symbol;  // stable across versions: hosts save automation by it
  const char* name;
  const char* unit;
  float min, max, def;
  bool integer;
  bool output = false;
};
const std::array<ParameterInfo, kParameterCount>& parameter_infos();

// State keys (strings the host saves with the project): which models play. "" = the bundled
// model (gm-timbres for GANSynth, the bank ddsp-bank for DDSP); a bundled model is saved by name, so that a
// project opened on another machine finds that machine's copy.
inline constexpr const char* kStateModel = "model";
inline constexpr const char* kStateDdspModel = "ddsp_model";

struct Slot;  // a built synth and the models it plays

class Core {
 public:
  // Builds the first synth before returning (a model load and a note cache: a second or two).
  // Error (naming the model) when the bundled model cannot be found or loaded.
  Core(double sample_rate, const std::string& model = "", const std::string& ddsp_model = "");
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // --- Audio thread: real-time safe.
  // Renders frames [done, until) of the block started by begin_block; call between events.
  void begin_block(float* left, float* right, uint32_t frames) noexcept;
  void render_until(uint32_t frame) noexcept;
  // One MIDI message at the current position (note on/off, controllers, bend, program change).
  void midi(const uint8_t* data, uint32_t size) noexcept;
  void end_block() noexcept;  // renders the rest of the block

  // --- Any thread.
  void set_parameter(uint32_t index, float value) noexcept;  // clamped to its range
  float parameter(uint32_t index) const noexcept;

  // --- Host's main thread (never the audio thread).
  std::string state(const std::string& key) const;
  // Loads in the background; the synth playing now keeps playing until the new one is ready. An
  // unknown key is ignored; a missing model is reported by last_error() (the old one plays on).
  void set_state(const std::string& key, const std::string& value);
  std::string last_error() const;
  // Blocks until every requested change has been built and handed to the audio thread's next
  // block (tests, offline hosts). Returns false after `seconds`.
  bool wait_until_settled(double seconds = 60) const;
  bool settled() const;  // the same, without waiting
  // The engine the audio thread plays now (0 GANSynth, 1 DDSP): a change shows once built.
  int engine_playing() const noexcept { return engine_playing_.load(std::memory_order_relaxed); }
  double sample_rate() const { return rate_; }

 private:
  void worker_loop();
  int wanted_engine() const;
  bool rebuild_needed() const;  // caller holds mutex_
  void build_and_publish(std::unique_lock<std::mutex>& lock);
  void follow_program_parameter();  // the worker thread only
  std::array<int, 16> wanted_programs() const;
  std::array<std::string, 16> wanted_timbres(const Slot& slot) const;
  void apply_timbres();  // caller holds mutex_
  bool all_built() const;
  void update_error();

  const double rate_;
  std::array<std::atomic<float>, kParameterCount> values_;

  // Audio thread's view.
  Slot* playing_ = nullptr;
  float* left_ = nullptr;
  float* right_ = nullptr;
  uint32_t frames_ = 0, done_ = 0;
  float gain_ = 1;  // glides toward the parameter
  std::array<float, 2 * 256> scratch_{};

  // Hand-over: worker -> audio (pending_), audio -> worker (retired_).
  std::atomic<Slot*> pending_{nullptr}, retired_{nullptr};
  std::atomic<int> engine_playing_{0};
  // Each MIDI channel's program (the audio thread's program changes; channel 10's is kDrumKit).
  std::array<std::atomic<int>, 16> channel_programs_{};

  mutable std::mutex mutex_;  // never taken by the audio thread
  std::condition_variable wake_;
  std::string model_, ddsp_model_, built_model_, built_ddsp_model_, error_;
  Slot* latest_ = nullptr;  // the newest slot built (pending or playing): the worker's to steer
  int failed_engine_ = -1;  // an engine whose build failed (not retried until its model changes)
  std::atomic<int> program_seen_{0};  // the program parameter's value the channels last followed (set by the worker)
  std::string synth_error_seen_;      // the synth's last error already reported
  bool idle_ = false, stop_ = false;
  std::atomic<bool> ready_{false};  // idle_, for the audio thread
  std::thread worker_;
};

}  // namespace timbrel::plugin
