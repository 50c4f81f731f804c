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

// In place on each frame of a block held line by line (y[line][frame]), scaled to stay
// orthogonal: 8x8 Hadamard / sqrt(8).
template <size_t N>
void hadamard8_block(float (*y)[N], size_t n) {
  for (int h = 1; h < 8; h *= 2)
    for (int i = 0; i < 8; i += 2 * h)
      for (int k = i; k < i + h; ++k)
        for (size_t j = 0; j < n; ++j) {
          const float a = y[k][j], b = y[k + h][j];
          y[k][j] = a + b;
          y[k + h][j] = a - b;
        }
  for (int i = 0; i < 8; ++i)
    for (size_t j = 0; j < n; ++j) y[i][j] *= 0.35355339f;
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
  const double shortest = *std::min_element(std::begin(line_delay_), std::end(line_delay_)) - mod_depth_;
  max_block_ = size_t(std::clamp(std::floor(shortest) - 2, 1.0, double(kMaxBlock)));
}

size_t Room::add_line(Line& line, size_t max_delay, size_t written_ahead) {
  size_t size = 1;
  while (size < max_delay + 4 + written_ahead) size *= 2;
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
  // A block's input is written before its reads (which reach back under a block at low rates).
  add_line(chorus_line_, size_t(std::ceil(chorus_centre_ + chorus_half_depth_)) + 2, kMaxBlock);
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

namespace {

// The oscillators' rounding drift is undone after fixed positions (not per call), so the output
// does not depend on how the caller splits the audio into blocks.
bool normalize_after(size_t position) { return ((position + 1) & 4095) == 0; }

}  // namespace

// In three passes (positions, gathers, interpolation) that vectorise.
void Room::read_block(const Line& line, const double* delay, size_t n, float* out) const noexcept {
  const float* m = memory_.data() + line.offset;
  size_t base[kMaxBlock];
  float t[kMaxBlock], x[4][kMaxBlock];
  for (size_t j = 0; j < n; ++j) {
    const int whole = int(delay[j]);  // floor: delays are positive
    t[j] = float(1.0 - (delay[j] - double(whole)));
    base[j] = pos_ + j - size_t(whole) - 1;
  }
  for (size_t j = 0; j < n; ++j)
    for (size_t k = 0; k < 4; ++k) x[k][j] = m[(base[j] + k - 1) & line.mask];
  for (size_t j = 0; j < n; ++j) out[j] = hermite4(x[0][j], x[1][j], x[2][j], x[3][j], t[j]);
}

void Room::normalize_reverb_lfos() noexcept {
  for (int i = 0; i < kLines; ++i) {
    const double norm = 1 / std::sqrt(lfo_cos_[i] * lfo_cos_[i] + lfo_sin_[i] * lfo_sin_[i]);
    lfo_cos_[i] *= norm;
    lfo_sin_[i] *= norm;
  }
}

void Room::normalize_chorus_lfos() noexcept {
  for (int v = 0; v < chorus_voices_; ++v) {
    const double norm = 1 / std::sqrt(chorus_cos_[v] * chorus_cos_[v] + chorus_sin_[v] * chorus_sin_[v]);
    chorus_cos_[v] *= norm;
    chorus_sin_[v] *= norm;
  }
}

// Schroeder all-passes in series, each over the whole block (a stage's own frames in order).
void Room::diffuse(float* x, size_t n, float* peak) noexcept {
  for (int k = 0; k < kDiffusers; ++k) {
    float* m = memory_.data() + diffuser_[k].offset;
    const size_t mask = diffuser_[k].mask, delay = diffuser_delay_[k];
    const float g = diffuser_gain_[k];
    for (size_t j = 0; j < n; ++j) {
      const size_t p = pos_ + j;
      const float delayed = m[(p - delay) & mask];
      const float w = x[j] + g * delayed;
      m[p & mask] = w;
      x[j] = delayed - g * w;
      peak[j] = std::max(peak[j], std::fabs(w));
    }
  }
}

// Each line's modulated read through its absorbent low-pass, for the block's frames.
void Room::line_outputs(size_t n, float (*y)[kMaxBlock]) noexcept {
  double delay[kLines][kMaxBlock];
  for (size_t j = 0; j < n; ++j) {
    for (int i = 0; i < kLines; ++i) {
      const double c = lfo_cos_[i] * lfo_rot_cos_[i] - lfo_sin_[i] * lfo_rot_sin_[i];
      lfo_sin_[i] = lfo_sin_[i] * lfo_rot_cos_[i] + lfo_cos_[i] * lfo_rot_sin_[i];
      lfo_cos_[i] = c;
      delay[i][j] = line_delay_[i] + mod_depth_ * lfo_sin_[i];
    }
    if (normalize_after(pos_ + j)) normalize_reverb_lfos();
  }
  for (int i = 0; i < kLines; ++i) read_block(line_[i], delay[i], n, y[i]);
  for (size_t j = 0; j < n; ++j)
    for (int i = 0; i < kLines; ++i) y[i][j] = lp_state_[i] = lp_b0_[i] * y[i][j] + lp_a1_[i] * lp_state_[i];
}

void Room::reverb_block(const float* in, size_t n, float* left, float* right, float* peak) noexcept {
  float x[kMaxBlock], y[kLines][kMaxBlock];
  for (size_t j = 0; j < n; ++j) {
    const float v = in ? in[j] : 0.0f;
    x[j] = tone_b1_ * v - tone_b2_ * tone_state_;
    tone_state_ = v;
    peak[j] = 0;
  }
  diffuse(x, n, peak);
  line_outputs(n, y);
  float l[kMaxBlock] = {}, r[kMaxBlock] = {};
  for (int i = 0; i < kLines; ++i)
    for (size_t j = 0; j < n; ++j) {
      l[j] += out_left_[i] * y[i][j];
      r[j] += out_right_[i] * y[i][j];
    }
  hadamard8_block(y, n);
  for (int i = 0; i < kLines; ++i) {
    float* m = memory_.data() + line_[i].offset;
    for (size_t j = 0; j < n; ++j) {
      const float w = y[i][j] + kInject[i] * x[j];
      m[(pos_ + j) & line_[i].mask] = w;
      peak[j] = std::max(peak[j], std::fabs(w));
    }
  }
  for (size_t j = 0; j < n; ++j) {
    left[j] = 0.0f;  // (0 + v, not v: the sign of a zero stays as frame-by-frame processing left it)
    left[j] += wet1_ * l[j] + wet2_ * r[j];
    right[j] = 0.0f;
    right[j] += wet1_ * r[j] + wet2_ * l[j];
  }
}

void Room::chorus_block(const float* in, size_t n, float* left, float* right) noexcept {
  double delay[kMaxChorusVoices][kMaxBlock];
  for (size_t j = 0; j < n; ++j) {
    for (int v = 0; v < chorus_voices_; ++v) {
      const double c = chorus_cos_[v] * chorus_rot_cos_ - chorus_sin_[v] * chorus_rot_sin_;
      chorus_sin_[v] = chorus_sin_[v] * chorus_rot_cos_ + chorus_cos_[v] * chorus_rot_sin_;
      chorus_cos_[v] = c;
      delay[v][j] = chorus_centre_ + chorus_half_depth_ * chorus_sin_[v];
    }
    if (normalize_after(pos_ + j)) normalize_chorus_lfos();
  }
  float* m = memory_.data() + chorus_line_.offset;
  for (size_t j = 0; j < n; ++j) m[(pos_ + j) & chorus_line_.mask] = in ? in[j] : 0.0f;
  float y[kMaxBlock];
  for (int v = 0; v < chorus_voices_; ++v) {
    read_block(chorus_line_, delay[v], n, y);
    for (size_t j = 0; j < n; ++j) {
      left[j] += chorus_gain_left_[v] * y[j];
      right[j] += chorus_gain_right_[v] * y[j];
    }
  }
}

void Room::process_block(const float* reverb_send, const float* chorus_send, float* stereo_out, size_t n) noexcept {
  float left[kMaxBlock], right[kMaxBlock], peak[kMaxBlock];
  reverb_block(reverb_send, n, left, right, peak);
  if (chorus_send)
    for (size_t j = 0; j < n; ++j) peak[j] = std::max(peak[j], std::fabs(chorus_send[j]));
  chorus_block(chorus_send, n, left, right);
  for (size_t j = 0; j < n; ++j) {
    stereo_out[2 * j] += left[j];
    stereo_out[2 * j + 1] += right[j];
  }
  pos_ += n;
  for (size_t j = 0; j < n; ++j) quiet_frames_ = peak[j] < kQuiet ? quiet_frames_ + 1 : 0;
  if (quiet_frames_ >= quiet_needed_) clear_state();
}

void Room::process(const float* reverb_send, const float* chorus_send, float* stereo_out, size_t frames) noexcept {
  DenormalGuard guard;
  size_t n = 0;
  while (n < frames) {
    if (asleep_) {  // silent state, silent input: exact zeros
      while (n < frames && (!reverb_send || reverb_send[n] == 0.0f) && (!chorus_send || chorus_send[n] == 0.0f)) ++n;
      if (n == frames) break;
      asleep_ = false;
    }
    // A block ends where the state could fall asleep, as a frame-by-frame pass would check it.
    const size_t len = std::min({frames - n, max_block_, quiet_needed_ - quiet_frames_});
    process_block(reverb_send ? reverb_send + n : nullptr, chorus_send ? chorus_send + n : nullptr, stereo_out + 2 * n, len);
    n += len;
  }
}

float reverb_send_for_cc(int cc91) { return 0.2f * float(std::clamp(cc91, 0, 127)) / 128.0f; }
float chorus_send_for_cc(int cc93) { return 0.2f * float(std::clamp(cc93, 0, 127)) / 128.0f; }

}  // namespace timbrel
