#include "render/room.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "render/hermite.h"
#include "timbrel/error.h"
#include "util/denormal_guard.h"

namespace timbrel {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Values below this (-162 dBFS, far under 24-bit resolution) count as silence for the sleep test.
constexpr float kQuiet = 7.4505806e-9f;  // 2^-27
// From the sleep threshold to the state's possible peak (a 0 dBFS return, plus headroom for the
// energy a long loud send stores in the lines): 162 + 24 dB.
constexpr double kTailDecayDb = 186.0;

// Delay lines of the FDN (ms): 29..52 ms like FluidSynth's 8 lines (27..51 ms), mutually prime
// once rounded to primes at the sample rate.
constexpr double kLineMs[8] = {29.3, 32.9, 36.7, 39.1, 42.7, 45.1, 48.3, 51.7};
// Modulation of each line: +-0.09 ms (FluidSynth: 4 samples at 44.1 kHz) at 0.7..1.4 Hz.
constexpr double kModDepthMs = 0.09;
constexpr double kModBaseHz = 0.7, kModStepHz = 0.1;
// Input diffusers: Dattorro's (1997) lengths 142, 107, 379, 277 at 29761 Hz and his gains.
constexpr double kDiffuserMs[4] = {4.771, 3.595, 12.735, 9.307};
constexpr float kDiffuserGain[4] = {0.75f, 0.75f, 0.625f, 0.625f};
// Sign patterns (orthogonal rows of the 8x8 Hadamard matrix) for the input and the two outputs.
constexpr float kInject[8] = {1, 1, 1, 1, -1, -1, -1, -1};
constexpr float kLeftTap[8] = {1, -1, 1, -1, 1, -1, 1, -1};
constexpr float kRightTap[8] = {1, 1, -1, -1, 1, 1, -1, -1};
// Output scales, measured against libfluidsynth 2.3.1 at 48 kHz (tests/test_room.cpp checks them):
// FluidSynth's return relative to ours is 8.3..10.1 dB lower on short percussive notes (drums,
// woodblock, xylophone) and 10..15 dB (median 12.5) lower on held melodic notes, where ours would
// be flat; -10.5 dB splits the two (percussive notes 0..2 dB drier, held notes about 2 dB wetter).
// Above 8 kHz our tail decays faster than FluidSynth's (the cubic reads of the modulated lines).
// The chorus matches FluidSynth's on a held note (+6 dB), a click comes out 3 dB drier.
constexpr double kReverbScale = 0.2985;  // -10.5 dB
constexpr double kChorusScale = 2.0;
// FluidSynth's measured T30 at 48 kHz (0.964 s for a click) is 8% longer than its room-size curve
// gives with our lines.
constexpr double kT60Scale = 1.08;
// The chorus's shortest delay; each voice sweeps from here to here + depth.
constexpr double kChorusMinMs = 2.0;

// FluidSynth's (and Freeverb's) room-size curve: the feedback gain of a 51.2 ms reference line
// moves linearly between the gains that give 0.7 s and 12.5 s.
double t60_for_room_size(double room_size) {
  const double ref = 2 * 1129 / 44100.0;
  const double g_max = std::pow(10.0, -3 * ref / 12.5), g_min = std::pow(10.0, -3 * ref / 0.7);
  const double g = g_min + room_size * (g_max - g_min);
  return -3 * std::log(10.0) * ref / std::log(g) * kT60Scale;
}

bool is_prime(long n) {
  if (n < 2) return false;
  for (long d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

long nearest_prime(double x) {
  long n = std::max(2L, std::lround(x));
  while (!is_prime(n)) ++n;
  return n;
}

void check_range(const char* name, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi))
    throw Error(std::string("RoomOptions.") + name,
                "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(value));
}

// In place, scaled to stay orthogonal: 8x8 Hadamard / sqrt(8).
inline void hadamard8(float* y) {
  for (int h = 1; h < 8; h *= 2)
    for (int i = 0; i < 8; i += 2 * h)
      for (int j = i; j < i + h; ++j) {
        const float a = y[j], b = y[j + h];
        y[j] = a + b;
        y[j + h] = a - b;
      }
  for (int i = 0; i < 8; ++i) y[i] *= 0.35355339f;
}

}  // namespace

Room::Room(int sample_rate, const RoomOptions& o) : sample_rate_(sample_rate) {
  if (sample_rate < 8000 || sample_rate > 384000)
    throw Error("sample_rate", "must be in [8000, 384000] Hz, got " + std::to_string(sample_rate));
  check_range("room_size", o.room_size, 0, 1);
  check_range("damping", o.damping, 0, 1);
  check_range("width", o.width, 0, 1);
  check_range("level", o.level, 0, 1);
  check_range("chorus_voices", o.chorus_voices, 0, kMaxChorusVoices);
  if (o.chorus_voices != std::floor(o.chorus_voices)) throw Error("RoomOptions.chorus_voices", "must be a whole number");
  check_range("chorus_level", o.chorus_level, 0, 10);
  check_range("chorus_speed_hz", o.chorus_speed_hz, 0.1, 5);
  check_range("chorus_depth_ms", o.chorus_depth_ms, 0, 40);
  setup_reverb(o);
  setup_chorus(o);
  clear_state();
}

size_t Room::add_line(Line& line, size_t max_delay) {
  size_t size = 1;
  while (size < max_delay + 4) size *= 2;
  line.offset = memory_.size();
  line.mask = size - 1;
  memory_.resize(memory_.size() + size, 0.0f);
  quiet_needed_ = std::max(quiet_needed_, max_delay + 4);
  return size;
}

void Room::setup_reverb(const RoomOptions& o) {
  const double ms = sample_rate_ / 1000.0;
  for (int k = 0; k < kDiffusers; ++k) {
    diffuser_delay_[k] = size_t(nearest_prime(kDiffuserMs[k] * ms));
    diffuser_gain_[k] = kDiffuserGain[k];
    add_line(diffuser_[k], diffuser_delay_[k]);
  }
  t60_dc_ = t60_for_room_size(o.room_size);
  mod_depth_ = kModDepthMs * ms;
  const double nyquist_ratio = 1 + 9 * o.damping;  // T60(DC) / T60(Nyquist)
  for (int i = 0; i < kLines; ++i) {
    line_delay_[i] = double(nearest_prime(kLineMs[i] * ms));
    add_line(line_[i], size_t(std::ceil(line_delay_[i] + mod_depth_)) + 2);
    // Jot's absorbent filter: gain g at DC, g^ratio at Nyquist, from a one-pole low-pass.
    const double g = std::pow(10.0, -3 * line_delay_[i] / (t60_dc_ * sample_rate_));
    const double q = std::pow(g, nyquist_ratio - 1);
    const double a = (1 - q) / (1 + q);
    lp_b0_[i] = float(g * (1 - a));
    lp_a1_[i] = float(a);
    const double hz = kModBaseHz + kModStepHz * i;
    lfo_rot_cos_[i] = std::cos(2 * kPi * hz / sample_rate_);
    lfo_rot_sin_[i] = std::sin(2 * kPi * hz / sample_rate_);
  }
  // Jot's tone corrector flattens the spectrum the absorbent filters tilt.
  const double alpha = 1 / nyquist_ratio, beta = (1 - alpha) / (1 + alpha);
  tone_b1_ = float(1 / (1 - beta));
  tone_b2_ = float(beta / (1 - beta));
  // Freeverb's width mix, normalised so the return's energy does not depend on the width.
  const double w1 = o.width / 2 + 0.5, w2 = (1 - o.width) / 2;
  const double wet = o.level * kReverbScale / std::sqrt(w1 * w1 + w2 * w2);
  wet1_ = float(wet * w1);
  wet2_ = float(wet * w2);
  for (int i = 0; i < kLines; ++i) {
    out_left_[i] = kLeftTap[i];
    out_right_[i] = kRightTap[i];
  }
}

void Room::setup_chorus(const RoomOptions& o) {
  chorus_voices_ = int(o.chorus_voices);
  const double ms = sample_rate_ / 1000.0;
  chorus_half_depth_ = o.chorus_depth_ms / 2 * ms;
  chorus_centre_ = kChorusMinMs * ms + chorus_half_depth_;
  add_line(chorus_line_, size_t(std::ceil(chorus_centre_ + chorus_half_depth_)) + 2);
  chorus_rot_cos_ = std::cos(2 * kPi * o.chorus_speed_hz / sample_rate_);
  chorus_rot_sin_ = std::sin(2 * kPi * o.chorus_speed_hz / sample_rate_);
  // Voices spread evenly from left to right by the sin/cos pan law.
  for (int v = 0; v < chorus_voices_; ++v) {
    const double pan = chorus_voices_ == 1 ? 0.5 : double(v) / (chorus_voices_ - 1);
    chorus_gain_left_[v] = float(o.chorus_level * kChorusScale * std::cos(pan * kPi / 2));
    chorus_gain_right_[v] = float(o.chorus_level * kChorusScale * std::sin(pan * kPi / 2));
  }
}

void Room::clear_state() noexcept {
  std::fill(memory_.begin(), memory_.end(), 0.0f);
  pos_ = 0;
  std::fill(std::begin(lp_state_), std::end(lp_state_), 0.0f);
  tone_state_ = 0;
  for (int i = 0; i < kLines; ++i) {
    lfo_cos_[i] = std::cos(2 * kPi * i / kLines);
    lfo_sin_[i] = std::sin(2 * kPi * i / kLines);
  }
  for (int v = 0; v < chorus_voices_; ++v) {
    chorus_cos_[v] = std::cos(2 * kPi * v / chorus_voices_);
    chorus_sin_[v] = std::sin(2 * kPi * v / chorus_voices_);
  }
  quiet_frames_ = 0;
  asleep_ = true;
}

void Room::reset() noexcept { clear_state(); }

double Room::tail_seconds() const {
  return t60_dc_ * kTailDecayDb / 60 + double(quiet_needed_) / sample_rate_;
}

// Cubic (Catmull-Rom) read `delay` samples back (delay >= 2) from the position being written.
float Room::read(const Line& line, double delay) const noexcept {
  const double whole = std::floor(delay);
  const float t = float(1.0 - (delay - whole));
  const size_t base = pos_ - size_t(whole) - 1;
  const float* m = memory_.data() + line.offset;
  return hermite4(m[(base - 1) & line.mask], m[base & line.mask], m[(base + 1) & line.mask], m[(base + 2) & line.mask], t);
}

float Room::reverb_frame(float in, float& left, float& right) noexcept {
  float x = tone_b1_ * in - tone_b2_ * tone_state_;
  tone_state_ = in;
  float peak = 0;
  for (int k = 0; k < kDiffusers; ++k) {  // Schroeder all-passes
    float* m = memory_.data() + diffuser_[k].offset;
    const float delayed = m[(pos_ - diffuser_delay_[k]) & diffuser_[k].mask];
    const float w = x + diffuser_gain_[k] * delayed;
    m[pos_ & diffuser_[k].mask] = w;
    x = delayed - diffuser_gain_[k] * w;
    peak = std::max(peak, std::fabs(w));
  }
  float y[kLines];
  for (int i = 0; i < kLines; ++i) {
    const double c = lfo_cos_[i] * lfo_rot_cos_[i] - lfo_sin_[i] * lfo_rot_sin_[i];
    lfo_sin_[i] = lfo_sin_[i] * lfo_rot_cos_[i] + lfo_cos_[i] * lfo_rot_sin_[i];
    lfo_cos_[i] = c;
    const float delayed = read(line_[i], line_delay_[i] + mod_depth_ * lfo_sin_[i]);
    lp_state_[i] = lp_b0_[i] * delayed + lp_a1_[i] * lp_state_[i];
    y[i] = lp_state_[i];
  }
  float l = 0, r = 0;
  for (int i = 0; i < kLines; ++i) {
    l += out_left_[i] * y[i];
    r += out_right_[i] * y[i];
  }
  hadamard8(y);
  for (int i = 0; i < kLines; ++i) {
    const float w = y[i] + kInject[i] * x;
    memory_[line_[i].offset + (pos_ & line_[i].mask)] = w;
    peak = std::max(peak, std::fabs(w));
  }
  left += wet1_ * l + wet2_ * r;
  right += wet1_ * r + wet2_ * l;
  return peak;
}

void Room::chorus_frame(float in, float& left, float& right) noexcept {
  memory_[chorus_line_.offset + (pos_ & chorus_line_.mask)] = in;
  for (int v = 0; v < chorus_voices_; ++v) {
    const double c = chorus_cos_[v] * chorus_rot_cos_ - chorus_sin_[v] * chorus_rot_sin_;
    chorus_sin_[v] = chorus_sin_[v] * chorus_rot_cos_ + chorus_cos_[v] * chorus_rot_sin_;
    chorus_cos_[v] = c;
    const float y = read(chorus_line_, chorus_centre_ + chorus_half_depth_ * chorus_sin_[v]);
    left += chorus_gain_left_[v] * y;
    right += chorus_gain_right_[v] * y;
  }
}

void Room::process(const float* reverb_send, const float* chorus_send, float* stereo_out, size_t frames) noexcept {
  DenormalGuard guard;
  for (size_t n = 0; n < frames; ++n) {
    const float rev = reverb_send ? reverb_send[n] : 0.0f;
    const float cho = chorus_send ? chorus_send[n] : 0.0f;
    if (asleep_) {
      if (rev == 0.0f && cho == 0.0f) continue;  // silent state, silent input: exact zeros
      asleep_ = false;
    }
    float left = 0, right = 0;
    const float peak = std::max(reverb_frame(rev, left, right), std::fabs(cho));
    chorus_frame(cho, left, right);
    stereo_out[2 * n] += left;
    stereo_out[2 * n + 1] += right;
    ++pos_;
    // The oscillators' rounding drift is undone at fixed positions (not per call), so the output
    // does not depend on how the caller splits the audio into blocks.
    if ((pos_ & 4095) == 0) {
      for (int i = 0; i < kLines; ++i) {
        const double norm = 1 / std::sqrt(lfo_cos_[i] * lfo_cos_[i] + lfo_sin_[i] * lfo_sin_[i]);
        lfo_cos_[i] *= norm;
        lfo_sin_[i] *= norm;
      }
      for (int v = 0; v < chorus_voices_; ++v) {
        const double norm = 1 / std::sqrt(chorus_cos_[v] * chorus_cos_[v] + chorus_sin_[v] * chorus_sin_[v]);
        chorus_cos_[v] *= norm;
        chorus_sin_[v] *= norm;
      }
    }
    quiet_frames_ = peak < kQuiet ? quiet_frames_ + 1 : 0;
    if (quiet_frames_ >= quiet_needed_) clear_state();
  }
}

float reverb_send_for_cc(int cc91) { return 0.2f * float(std::clamp(cc91, 0, 127)) / 128.0f; }
float chorus_send_for_cc(int cc93) { return 0.2f * float(std::clamp(cc93, 0, 127)) / 128.0f; }

}  // namespace timbrel
