#pragma once
// The room of the stereo mix: a reverb and a chorus fed by two mono send buses (each voice's dry
// signal times its CC91 / CC93 send level), returning stereo that the mixer adds to the dry mix.
//
// Libraries weighed (Debian 12) before writing it here:
// - libsox3 (libsox-dev): its `reverb` (Freeverb-derived) and `chorus` effects run only inside a
//   sox effects chain on int32 samples, configured by argv strings; no block API with preallocated
//   state for a render loop, and no control to match FluidSynth's room.
// - zita-rev1: a JACK application only; Debian ships no library of it. libzita-convolver would
//   need a shipped impulse response and runs its own threads.
// - libfluidsynth: its reverb and chorus are internal (no standalone API); LV2 plug-ins through
//   lilv are far too heavy for one effect.
// So the room is written here, in the same class as FluidSynth 2.3's own (fluid_rev.c is an
// 8-line FDN after Jot; Freeverb is public domain): an 8-line feedback delay network (Jot) with a
// Hadamard feedback matrix, per-line absorbent low-pass filters for the high-frequency decay, a
// tone corrector, four input all-pass diffusers (Dattorro's lengths) for a dense onset, slowly
// modulated delays (cubic read) against metallic ringing, and Freeverb's width mix; the chorus
// reads one delay line at `chorus_voices` sine-modulated delays spread from left to right.
//
// What FluidSynth 2.3 does (its source, fluid_mod.c / fluid_chan.c, and libfluidsynth 2.3.1 itself):
// - A channel starts with CC91 = 0 and CC93 = 0 (the XG default of 40 for CC91 is left commented
//   out: "most people preferred having it at zero").
// - The SF2 default modulators map CC91 -> reverb send and CC93 -> chorus send, linear unipolar,
//   amount 200 tenths of a percent: send = 0.2 * cc / 128 (fluid_mod.c: range 128, for RP-036 centring), so CC 127 sends 19.8%.
// - FluidR3_GM's presets add their own send generators (reverbEffectsSend, chorusEffectsSend,
//   added to the modulators): 177 of 189 presets carry some, e.g. piano 10% reverb, strings and
//   winds 15%, drum kit 2-10% by key, lead/pad chorus up to 100%. FluidSynth's renders of a file
//   without CC91 are therefore not dry; reverb_send_for_cc gives only the controller's part.
// - Default room: room-size 0.2, damp 0, width 0.5, level 0.9; chorus nr 3, level 2, speed 0.3 Hz,
//   depth 8 ms (sine). The dry voice is panned by sin/cos (0.7066 per side at the centre); the
//   send buses take the voice's mono signal, not panned.
//
// Real time: process() allocates, locks and logs nothing; it flushes denormals (FTZ/DAZ for its own
// duration) and clears its state once every value in it has fallen below -162 dBFS, so silent
// sends give exact zeros after tail_seconds(). Output is bit-identical run to run for the same input.
#include <cstddef>
#include <vector>

#include "render/gm_controls.h"
#include "util/huge_pages.h"

namespace timbrel {

struct RoomOptions {  // the defaults are FluidSynth 2.3's default room
  double room_size = 0.2;      // 0..1: reverb time at DC, 0.7 s .. 12.5 s on Freeverb's curve
  double damping = 0.0;        // 0..1: how much faster high frequencies decay (1: 10x at Nyquist)
  double width = 0.5;          // 0..1: stereo separation of the reverb (0 = mono)
  double level = 0.9;          // 0..1: reverb return level
  double chorus_voices = 3;    // 0..16 modulated delays
  double chorus_level = 2.0;   // 0..10: chorus return level
  double chorus_speed_hz = 0.3;  // 0.1..5
  double chorus_depth_ms = 8.0;  // 0..40: delay sweep of each voice
};

class Room {
 public:
  // Allocates everything here; throws timbrel::Error naming a parameter out of range
  // (sample_rate 8000..384000).
  explicit Room(int sample_rate, const RoomOptions& options = {});
  // Adds the room's stereo return for `frames` frames of the mono reverb and chorus send buses
  // (sums of each voice's dry signal x its send level) into `stereo_out` (interleaved L R,
  // accumulated). A null bus is silent.
  void process(const float* reverb_send, const float* chorus_send, float* stereo_out, size_t frames) noexcept;
  // Back to silence (as constructed).
  void reset() noexcept;
  // How long the output rings after the sends fall silent: after this, a return that peaked at
  // or below 0 dBFS is exactly zero (a render's tail length).
  double tail_seconds() const;
  // The reverb time at DC the options give (T60, seconds).
  double reverb_t60_seconds() const { return t60_dc_; }
  int sample_rate() const { return sample_rate_; }

 private:
  struct Line {  // a circular delay line of power-of-two size
    size_t offset = 0, mask = 0;
  };
  void setup_reverb(const RoomOptions& options);
  void setup_chorus(const RoomOptions& options);
  size_t add_line(Line& line, size_t max_delay, size_t written_ahead = 0);
  static constexpr int kLines = 8;
  static constexpr int kDiffusers = 4;
  static constexpr int kMaxChorusVoices = 16;
  static constexpr size_t kMaxBlock = 64;  // its scratch stays small on an audio thread's stack

  // Frames are processed in blocks, stage by stage (each stage vectorises over the block), and
  // every sample equals frame-by-frame processing: a block is shorter than any reverb line's delay
  // (no line reads what the same block writes), the all-passes run their frames in order, and
  // the chorus writes its block first into a line long enough to keep what its reads still need.
  void process_block(const float* reverb_send, const float* chorus_send, float* stereo_out, size_t n) noexcept;
  void reverb_block(const float* in, size_t n, float* left, float* right, float* peak) noexcept;
  void diffuse(float* x, size_t n, float* peak) noexcept;
  void line_outputs(size_t n, float (*y)[kMaxBlock]) noexcept;
  void chorus_block(const float* in, size_t n, float* left, float* right) noexcept;
  // Cubic (Catmull-Rom) reads delay[j] samples back (>= 2) from the position of the block's frame j.
  void read_block(const Line& line, const double* delay, size_t n, float* out) const noexcept;
  void normalize_reverb_lfos() noexcept;
  void normalize_chorus_lfos() noexcept;
  void clear_state() noexcept;

  int sample_rate_;
  double t60_dc_ = 0;
  HugePageVector<float> memory_;  // every delay line, one allocation (huge pages once it is large)
  size_t pos_ = 0;             // the write position, common to every line
  size_t max_block_ = 1;       // frames a block may hold (under the shortest modulated line)
  // Reverb.
  Line diffuser_[kDiffusers];
  size_t diffuser_delay_[kDiffusers] = {};
  float diffuser_gain_[kDiffusers] = {};
  Line line_[kLines];
  double line_delay_[kLines] = {};  // samples, centre of the modulation
  double mod_depth_ = 0;            // samples
  double lfo_cos_[kLines] = {}, lfo_sin_[kLines] = {}, lfo_rot_cos_[kLines] = {}, lfo_rot_sin_[kLines] = {};
  float lp_b0_[kLines] = {}, lp_a1_[kLines] = {}, lp_state_[kLines] = {};
  float tone_b1_ = 1, tone_b2_ = 0, tone_state_ = 0;
  float out_left_[kLines] = {}, out_right_[kLines] = {};
  float wet1_ = 0, wet2_ = 0;
  // Chorus.
  Line chorus_line_;
  int chorus_voices_ = 0;
  double chorus_centre_ = 0, chorus_half_depth_ = 0;  // samples
  double chorus_cos_[kMaxChorusVoices] = {}, chorus_sin_[kMaxChorusVoices] = {};
  double chorus_rot_cos_ = 1, chorus_rot_sin_ = 0;
  float chorus_gain_left_[kMaxChorusVoices] = {}, chorus_gain_right_[kMaxChorusVoices] = {};
  // Silence: consecutive frames whose every stored value was below kQuiet; past quiet_needed_ the
  // state is cleared and the room sleeps until a send is non-zero.
  size_t quiet_frames_ = 0, quiet_needed_ = 0;
  bool asleep_ = true;
};

// The send level (0..1 linear) a voice gets from its channel's CC91 / CC93 value, as FluidSynth's
// default modulators map them (0.2 * cc / 128); a preset's own send generator adds to it.
float reverb_send_for_cc(int cc91);
float chorus_send_for_cc(int cc93);

// The CC91 / CC93 values a channel has when a file carries none (FluidSynth 2.3's initial values).
constexpr int kDefaultReverbCc = gm::kDefaultReverbSend;
constexpr int kDefaultChorusCc = gm::kDefaultChorusSend;

}  // namespace timbrel
