// EBU R128 loudness through libebur128, and normalisation under a true-peak ceiling.
#include "timbrel/loudness.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "audio/true_peak_limiter.h"
#include "timbrel/error.h"

namespace timbrel {
namespace {

constexpr int kMinRate = 8000, kMaxRate = 768000;

struct StateDeleter {
  void operator()(ebur128_state* st) const { ebur128_destroy(&st); }
};
using State = std::unique_ptr<ebur128_state, StateDeleter>;

void check_audio(const Audio& audio) {
  if (audio.channels < 1) throw Error("audio", "has " + std::to_string(audio.channels) + " channels; needs at least 1");
  if (audio.sample_rate < kMinRate || audio.sample_rate > kMaxRate)
    throw Error("audio", "sample rate " + std::to_string(audio.sample_rate) + " Hz is outside " +
                             std::to_string(kMinRate) + ".." + std::to_string(kMaxRate));
  if (audio.samples.size() % size_t(audio.channels) != 0)
    throw Error("audio", std::to_string(audio.samples.size()) + " samples are not whole frames of " +
                             std::to_string(audio.channels) + " channels");
  for (float s : audio.samples)
    if (!std::isfinite(s)) throw Error("audio", "holds a sample that is not a finite number");
}

// BS.1770's weights: libebur128's defaults up to 6 channels (4: L R Ls Rs, 5: L R C Ls Rs,
// 6: L R C LFE Ls Rs); beyond that it would drop channels, so every channel counts 1.0.
void set_channel_map(ebur128_state* st, int channels) {
  if (channels <= 6) return;
  for (int c = 0; c < channels; ++c) ebur128_set_channel(st, unsigned(c), EBUR128_LEFT);
}

std::string one_decimal(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

double to_db(double linear) { return linear > 0 ? 20.0 * std::log10(linear) : -HUGE_VAL; }

State new_state(const Audio& audio, int mode) {
  State st(ebur128_init(unsigned(audio.channels), (unsigned long)audio.sample_rate, mode));
  if (!st) throw Error("audio", "libebur128 could not start a measurement (out of memory?)");
  set_channel_map(st.get(), audio.channels);
  return st;
}

void add_frames(ebur128_state* st, const float* frames, size_t n) {
  if (n > 0 && ebur128_add_frames_float(st, frames, n) != EBUR128_SUCCESS)
    throw Error("audio", "libebur128 could not measure the samples (out of memory?)");
}

State start_measurement(const Audio& audio, int mode) {
  State st = new_state(audio, mode);
  add_frames(st.get(), audio.samples.data(), audio.frames());
  return st;
}

// libebur128 reads the true peak (below 96 kHz) through a 49-tap polyphase interpolator at 4x:
// each interpolated value is a weighted sum of the last kInterpolatorFrames input frames, at most
// meter_interpolator_gain() times the largest of them.
constexpr size_t kInterpolatorTaps = 49, kInterpolatorFactor = 4;
constexpr size_t kInterpolatorFrames = (kInterpolatorTaps + kInterpolatorFactor - 1) / kInterpolatorFactor;
constexpr size_t kPeakBlockFrames = 512;

// Each block's largest |sample| over the frames its interpolated values read (the block and the
// kInterpolatorFrames before it), loudest first: (that value, the block's first frame).
std::vector<std::pair<float, size_t>> blocks_loudest_first(const Audio& audio) {
  const size_t frames = audio.frames(), channels = size_t(audio.channels);
  std::vector<std::pair<float, size_t>> blocks;
  for (size_t start = 0; start < frames; start += kPeakBlockFrames) {
    const size_t from = start >= kInterpolatorFrames ? start - kInterpolatorFrames : 0;
    const size_t end = std::min(frames, start + kPeakBlockFrames);
    float m = 0;
    for (size_t i = from * channels; i < end * channels; ++i) m = std::max(m, std::fabs(audio.samples[i]));
    blocks.push_back({m, start});
  }
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  return blocks;
}

// The true peak as libebur128 measures it over the whole audio (max over channels), measured only
// where it can exceed what is already known: blocks are visited loudest first, and the search
// stops at the first whose samples times meter_interpolator_gain() cannot beat the peak found. Each
// block is measured (on `st`, a fresh TRUE_PEAK state) with the frames before it fed first, so the
// interpolator holds exactly what it would hold in one pass: the same value.
double true_peak_of_loud_blocks(const Audio& audio, double sample_peak, ebur128_state* st) {
  const size_t frames = audio.frames(), channels = size_t(audio.channels);
  const double gain = meter_interpolator_gain();
  std::vector<float> history(kInterpolatorFrames * channels);
  double peak = sample_peak;
  for (const auto& [most, start] : blocks_loudest_first(audio)) {
    if (double(most) * gain <= peak) break;
    for (size_t f = 0; f < kInterpolatorFrames; ++f)  // the frames before the block; zeros before the first
      for (size_t c = 0; c < channels; ++c) {
        const size_t back = kInterpolatorFrames - f;
        history[f * channels + c] = start >= back ? audio.samples[(start - back) * channels + c] : 0.0f;
      }
    add_frames(st, history.data(), kInterpolatorFrames);
    add_frames(st, audio.samples.data() + start * channels, std::min(kPeakBlockFrames, frames - start));
    for (size_t c = 0; c < channels; ++c) {
      double tp = 0;
      ebur128_prev_true_peak(st, unsigned(c), &tp);
      peak = std::max(peak, tp);
    }
  }
  return peak;
}

double largest_sample(const Audio& audio) {
  float m = 0;
  for (float v : audio.samples) m = std::max(m, std::fabs(v));
  return double(m);
}

// Blocks pay on two cores: the true peak's blocks beside the loudness pass. They need the
// interpolator this file assumes (libebur128 1.2.5 on; 1.2.4 and before resampled with speex) and
// a rate it oversamples 4x.
bool true_peak_by_blocks(const Audio& audio) {
  int major = 0, minor = 0, patch = 0;
  ebur128_get_version(&major, &minor, &patch);
  return audio.sample_rate < 96000 && std::make_tuple(major, minor, patch) >= std::make_tuple(1, 2, 5) &&
         std::thread::hardware_concurrency() >= 2;
}

// The true peak's blocks on a second thread; here, should none start.
std::future<double> start_true_peak(const Audio& audio, double sample_peak, State st) {
  auto measure = [&audio, sample_peak, st = std::make_shared<State>(std::move(st))] {
    return true_peak_of_loud_blocks(audio, sample_peak, st->get());
  };
  try {
    return std::async(std::launch::async, measure);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, measure);
  }
}

LoudnessInfo measure_checked(const Audio& audio) {
  const bool by_blocks = true_peak_by_blocks(audio);
  const double sample_peak = largest_sample(audio);  // as libebur128 reads it (float input: |x|)
  // Both states are made here, before the second thread starts: ebur128_init sets the library's globals.
  State st = new_state(audio, EBUR128_MODE_I | EBUR128_MODE_LRA | (by_blocks ? 0 : EBUR128_MODE_TRUE_PEAK));
  std::future<double> block_peak =
      by_blocks ? start_true_peak(audio, sample_peak, new_state(audio, EBUR128_MODE_TRUE_PEAK)) : std::future<double>();
  add_frames(st.get(), audio.samples.data(), audio.frames());
  LoudnessInfo info;
  ebur128_loudness_global(st.get(), &info.integrated_lufs);
  ebur128_loudness_range(st.get(), &info.loudness_range_lu);
  double true_peak = sample_peak;
  if (by_blocks) {
    true_peak = block_peak.get();
  } else {
    for (int c = 0; c < audio.channels; ++c) {
      double tp = 0;
      ebur128_true_peak(st.get(), unsigned(c), &tp);
      true_peak = std::max(true_peak, tp);
    }
  }
  info.true_peak_dbtp = to_db(true_peak);
  info.sample_peak_dbfs = to_db(sample_peak);
  return info;
}

// The integrated loudness alone: a fifth of the time of a measurement with the true peak.
double integrated_loudness(const Audio& audio) {
  double lufs = 0;
  ebur128_loudness_global(start_measurement(audio, EBUR128_MODE_I).get(), &lufs);
  return lufs;
}

void check_target(const LoudnessTarget& t) {
  if (!(t.lufs >= -70.0 && t.lufs <= 0.0))
    throw Error("target.lufs", one_decimal(t.lufs) + " LUFS is outside -70..0");
  if (!(t.true_peak_dbtp >= -30.0 && t.true_peak_dbtp <= 0.0))
    throw Error("target.true_peak_dbtp", one_decimal(t.true_peak_dbtp) + " dBTP is outside -30..0");
}

constexpr double kAim = 0.1;       // LU: the gain search stops this close to the target ...
constexpr double kAccept = 0.5;    // ... and accepts this close when it runs out of rounds
constexpr double kMargin = 0.05;   // dB the limiter's threshold starts under the ceiling
constexpr int kMaxRounds = 12;     // gain corrections per threshold
constexpr int kMaxPasses = 4;      // thresholds tried

// What the limiter keeps between rounds: the peaks of the unscaled audio and the buffers.
struct LimiterState {
  const Audio& audio;
  std::vector<float> peaks;
  LimiterShape shape;
  LimiterBuffers buffers;
  std::vector<float> gain;
  double slope = 1.0;  // LU of loudness per dB of gain, as last measured
};

// Limits audio * gain_db at threshold_db into `out`, correcting the gain (secant on the measured
// loudness, which grows slower than the gain under limiting) until within kAim of the target.
// Returns the loudness reached, and leaves gain_db at the gain that reached it.
double limit_to_loudness(LimiterState& s, double target_lufs, double threshold_db, double& gain_db, Audio& out) {
  double last_gain = 0, last_lufs = 0, best_error = HUGE_VAL, best_gain = gain_db;
  for (int round = 0; round < kMaxRounds; ++round) {
    const double scale = std::pow(10.0, gain_db / 20.0);
    // On the unscaled peaks, threshold / scale is the threshold of the scaled audio.
    limiter_gain(s.peaks, std::pow(10.0, threshold_db / 20.0) / scale, s.shape, s.buffers, s.gain);
    apply_gain(s.audio, scale, s.gain, out);
    const double lufs = integrated_loudness(out), error = target_lufs - lufs;
    if (std::fabs(error) <= kAim) return lufs;
    if (std::fabs(error) < best_error) {
      best_error = std::fabs(error);
      best_gain = gain_db;
    }
    if (round > 0 && gain_db != last_gain) s.slope = std::clamp((lufs - last_lufs) / (gain_db - last_gain), 0.05, 1.0);
    last_gain = gain_db;
    last_lufs = lufs;
    gain_db += error / s.slope;
  }
  // Out of rounds: the closest gain once more.
  gain_db = best_gain;
  const double scale = std::pow(10.0, gain_db / 20.0);
  limiter_gain(s.peaks, std::pow(10.0, threshold_db / 20.0) / scale, s.shape, s.buffers, s.gain);
  apply_gain(s.audio, scale, s.gain, out);
  return integrated_loudness(out);
}

// Passes of limit_to_loudness, each checking the true peak as libebur128 reads it and lowering
// the threshold by any overshoot; nullopt when no pass meets both the loudness and the ceiling.
std::optional<LoudnessInfo> limit_to_target(const Audio& audio, const LoudnessTarget& target, double gain_db, Audio& out) {
  LimiterState s{audio, oversampled_peaks(audio), limiter_shape(audio.sample_rate), {}, {}};
  double threshold_db = target.true_peak_dbtp - kMargin;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    const double lufs = limit_to_loudness(s, target.lufs, threshold_db, gain_db, out);
    if (std::fabs(lufs - target.lufs) > kAccept) return std::nullopt;
    const LoudnessInfo info = measure_checked(out);
    const double over = info.true_peak_dbtp - target.true_peak_dbtp;
    if (over <= 0 && std::fabs(info.integrated_lufs - target.lufs) <= kAccept) return info;
    threshold_db -= std::max(over, 0.0) + 0.05;
  }
  return std::nullopt;
}

}  // namespace

LoudnessInfo measure_loudness(const Audio& audio) {
  check_audio(audio);
  return measure_checked(audio);
}

LoudnessInfo normalize_loudness(Audio& audio, const LoudnessTarget& target) {
  check_target(target);
  const LoudnessInfo before = measure_loudness(audio);
  if (!std::isfinite(before.integrated_lufs))
    throw Error("audio", "is silent or shorter than 0.4 s (integrated loudness -inf): nothing to normalise");
  const double gain_db = target.lufs - before.integrated_lufs;
  Audio out;
  // A plain gain when the true peak stays under the ceiling (with room for rounding).
  if (before.true_peak_dbtp + gain_db <= target.true_peak_dbtp - 0.01) {
    apply_gain(audio, std::pow(10.0, gain_db / 20.0), {}, out);
    const LoudnessInfo info = measure_checked(out);
    if (info.true_peak_dbtp <= target.true_peak_dbtp && std::fabs(info.integrated_lufs - target.lufs) <= kAccept) {
      audio = std::move(out);
      return info;
    }
  }
  const std::optional<LoudnessInfo> limited = limit_to_target(audio, target, gain_db, out);
  if (!limited)
    throw Error("target", "cannot reach " + one_decimal(target.lufs) + " LUFS under a " +
                              one_decimal(target.true_peak_dbtp) + " dBTP ceiling for this audio (it measures " +
                              one_decimal(before.integrated_lufs) + " LUFS, true peak " +
                              one_decimal(before.true_peak_dbtp) + " dBTP)");
  audio = std::move(out);
  return *limited;
}

}  // namespace timbrel
