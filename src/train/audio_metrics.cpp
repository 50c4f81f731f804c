#include "train/audio_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "spectral/stft.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

namespace timbrel::train {

double mr_stft_distance(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw Error("mr_stft_distance", "signals of different lengths");
  double total = 0;
  const int sizes[3] = {512, 1024, 2048};
  for (int n : sizes) {
    const int hop = n / 4;
    if (a.size() < size_t(n)) throw Error("mr_stft_distance", "signal shorter than the FFT");
    const int frames = int((a.size() - size_t(n)) / size_t(hop)) + 1;
    const Stft stft = Stft::hann(n, hop);
    std::vector<cfloat> sa(size_t(frames) * size_t(stft.bins())), sb(sa.size());
    stft.analyze(a.data(), frames, sa.data());
    stft.analyze(b.data(), frames, sb.data());
    double diff2 = 0, ref2 = 0, log_l1 = 0;
    for (size_t i = 0; i < sa.size(); ++i) {
      const double ma = std::abs(sa[i]), mb = std::abs(sb[i]);
      diff2 += (ma - mb) * (ma - mb);
      ref2 += mb * mb;
      log_l1 += std::abs(std::log(ma + 1e-5) - std::log(mb + 1e-5));
    }
    total += std::sqrt(diff2 / std::max(ref2, 1e-20)) + log_l1 / double(sa.size());
  }
  return total / 3;
}

double log_mel_distance(const float* a, const float* b) {
  double sum = 0;
  for (size_t i = 0; i < kSpectrogramValues; i += 2) sum += std::abs(double(a[i]) - b[i]);
  return sum / double(kSpectrogramValues / 2);
}

double spectral_centroid_hz(const std::vector<float>& audio, double from_s, double to_s) {
  const int n = 1024, hop = 256;
  const size_t first = size_t(from_s * kNoteSampleRate), last = std::min(audio.size(), size_t(to_s * kNoteSampleRate));
  if (last < first + size_t(n)) return 0;
  const int frames = int((last - first - size_t(n)) / size_t(hop)) + 1;
  const Stft stft = Stft::hann(n, hop);
  std::vector<cfloat> s(size_t(frames) * size_t(stft.bins()));
  stft.analyze(audio.data() + first, frames, s.data());
  double weighted = 0, total = 0;
  for (int f = 0; f < frames; ++f)
    for (int k = 0; k < stft.bins(); ++k) {
      const double m = std::abs(s[size_t(f) * size_t(stft.bins()) + size_t(k)]);
      weighted += m * k * double(kNoteSampleRate) / n;
      total += m;
    }
  return total > 0 ? weighted / total : 0;
}

double loudness_db(const std::vector<float>& audio, double from_s, double to_s) {
  const size_t first = size_t(from_s * kNoteSampleRate), last = std::min(audio.size(), size_t(to_s * kNoteSampleRate));
  double sum = 0;
  for (size_t i = first; i < last; ++i) sum += double(audio[i]) * audio[i];
  return 10 * std::log10(std::max(sum / double(std::max<size_t>(1, last - first)), 1e-20));
}

std::vector<double> power_spectrum(const std::vector<float>& audio, size_t first, size_t count, int fft) {
  std::vector<float> frame(size_t(fft), 0.0f);
  const size_t n = std::min({count, size_t(fft), audio.size() > first ? audio.size() - first : 0});
  // Hann over the stretch actually taken (the FFT's own window would cut a zero-padded tail).
  for (size_t i = 0; i < n; ++i) frame[i] = audio[first + i] * float(0.5 - 0.5 * std::cos(2 * M_PI * (double(i) + 0.5) / double(n)));
  const Stft stft(fft, fft, std::vector<float>(size_t(fft), 1.0f), std::vector<float>(size_t(fft), 1.0f));
  std::vector<cfloat> spec(size_t(stft.bins()));
  stft.analyze(frame.data(), 1, spec.data());
  std::vector<double> power(spec.size());
  for (size_t k = 0; k < spec.size(); ++k) power[k] = double(std::norm(spec[k]));
  return power;
}

double subsonic_fraction(const std::vector<float>& audio, double hz) {
  const int fft = 65536;
  const std::vector<double> p = power_spectrum(audio, 0, audio.size(), fft);
  double low = 0, total = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    total += p[k];
    if (double(k) * kNoteSampleRate / fft < hz) low += p[k];
  }
  return total > 0 ? low / total : 0;
}

double harmonic_to_noise_db(const std::vector<float>& audio, int midi_pitch) {
  const int fft = 16384;
  const std::vector<double> p = power_spectrum(audio, size_t(0.15 * kNoteSampleRate), size_t(kNoteSampleRate), fft);
  const double f0 = 440.0 * std::pow(2.0, (midi_pitch - 69) / 12.0), bin_hz = double(kNoteSampleRate) / fft;
  double harmonic = 0, rest = 0;
  for (size_t k = 1; k < p.size(); ++k) {
    const double f = double(k) * bin_hz;
    if (f > 7500) break;
    const double h = std::round(f / f0);
    (h >= 1 && std::abs(f - h * f0) <= f0 / 4 ? harmonic : rest) += p[k];
  }
  return 10 * std::log10(std::max(harmonic, 1e-30) / std::max(rest, 1e-30));
}

float scale_to_peak(std::vector<float>& audio, float target) {
  float peak = 0;
  for (float v : audio) peak = std::max(peak, std::abs(v));
  if (peak > 0)
    for (float& v : audio) v *= target / peak;
  return peak;
}

double peak_db(const std::vector<float>& audio) {
  float peak = 0;
  for (float v : audio) peak = std::max(peak, std::abs(v));
  return 20 * std::log10(std::max(double(peak), 1e-10));
}

namespace {
// RMS level (dB, floored at `floor_db`) of consecutive frames of `frame` samples.
std::vector<double> frame_levels_db(const std::vector<float>& audio, size_t frame, double floor_db) {
  std::vector<double> db;
  for (size_t i = 0; i + frame <= audio.size(); i += frame) {
    double sum = 0;
    for (size_t j = i; j < i + frame; ++j) sum += double(audio[j]) * audio[j];
    db.push_back(std::max(10 * std::log10(std::max(sum / double(frame), 1e-30)), floor_db));
  }
  return db;
}
}  // namespace

double decay_seconds(const std::vector<float>& audio) {
  const size_t frame = kNoteSampleRate / 100;
  const std::vector<double> db = frame_levels_db(audio, frame, -200.0);
  if (db.empty()) return 0;
  const size_t loudest = size_t(std::max_element(db.begin(), db.end()) - db.begin());
  size_t last = loudest;
  for (size_t i = loudest; i < db.size(); ++i)
    if (db[i] > db[loudest] - 30) last = i;
  return double(last + 1 - loudest) * double(frame) / kNoteSampleRate;
}

double log_spectral_distance(const std::vector<float>& audio, const std::vector<float>& truth) {
  if (audio.size() != truth.size()) throw Error("log_spectral_distance", "signals of different lengths");
  const int n = 1024, hop = 256;
  if (audio.size() < size_t(n)) throw Error("log_spectral_distance", "signal shorter than the FFT");
  const int frames = int((audio.size() - size_t(n)) / size_t(hop)) + 1;
  const Stft stft = Stft::hann(n, hop);
  std::vector<cfloat> sa(size_t(frames) * size_t(stft.bins())), st(sa.size());
  auto unit_rms = [](const std::vector<float>& x) {
    double sum = 0;
    for (float v : x) sum += double(v) * v;
    const float g = float(1 / std::sqrt(std::max(sum / double(x.size()), 1e-30)));
    std::vector<float> y(x);
    for (float& v : y) v *= g;
    return y;
  };
  const std::vector<float> a = unit_rms(audio), t = unit_rms(truth);
  stft.analyze(a.data(), frames, sa.data());
  stft.analyze(t.data(), frames, st.data());
  const size_t bins = size_t(stft.bins());
  std::vector<double> frame_energy(size_t(frames), 0.0);
  double peak = 0;
  for (size_t i = 0; i < st.size(); ++i) {
    frame_energy[i / bins] += std::norm(st[i]);
    peak = std::max(peak, double(std::norm(st[i])));
  }
  const double loudest = *std::max_element(frame_energy.begin(), frame_energy.end()), floor = peak * 1e-8;
  double sum = 0;
  size_t used = 0;
  for (size_t f = 0; f < size_t(frames); ++f) {
    if (frame_energy[f] < loudest * 1e-6) continue;
    double d2 = 0;
    for (size_t k = 0; k < bins; ++k) {
      const double d = 10 * std::log10(std::max(double(std::norm(sa[f * bins + k])), floor) / std::max(double(std::norm(st[f * bins + k])), floor));
      d2 += d * d;
    }
    sum += std::sqrt(d2 / double(bins));
    ++used;
  }
  return used ? sum / double(used) : 0;
}

std::vector<double> band_energies(const float* audio, size_t samples, int sample_rate, const std::vector<double>& edges_hz) {
  std::vector<double> e(edges_hz.size() > 1 ? edges_hz.size() - 1 : 0, 0.0);
  // Hann at 75% overlap, padded by n - hop at both ends: every sample carries the same weight
  // (a squared Hann sums to a constant at this hop), so a hit at sample 0 counts in full.
  const int n = 2048, hop = 512;
  const size_t pad = size_t(n - hop);
  std::vector<float> x(samples + 2 * pad, 0.0f);
  std::copy(audio, audio + samples, x.begin() + long(pad));
  const Stft stft = Stft::hann(n, hop);
  std::vector<cfloat> spec(size_t(stft.bins()));
  for (size_t first = 0; first + size_t(n) <= x.size(); first += size_t(hop)) {
    stft.analyze(x.data() + first, 1, spec.data());
    for (size_t k = 0; k < spec.size(); ++k) {
      const double hz = double(k) * sample_rate / n;
      for (size_t b = 0; b < e.size(); ++b)
        if (hz >= edges_hz[b] && hz < edges_hz[b + 1]) e[b] += std::norm(spec[k]);
    }
  }
  return e;
}

double band_power(const std::vector<float>& audio, double lo_hz, double hi_hz) {
  const int n = 2048, hop = 1024;
  if (audio.size() < size_t(n)) return 0;
  const int frames = int((audio.size() - size_t(n)) / size_t(hop)) + 1;
  const Stft stft = Stft::hann(n, hop);
  std::vector<cfloat> spec(size_t(stft.bins()));
  double sum = 0;
  for (int f = 0; f < frames; ++f) {
    stft.analyze(audio.data() + size_t(f) * size_t(hop), 1, spec.data());
    for (int k = 0; k < stft.bins(); ++k) {
      const double hz = double(k) * kNoteSampleRate / n;
      if (hz >= lo_hz && hz < hi_hz) sum += std::norm(spec[size_t(k)]);
    }
  }
  return sum / double(frames) / double(n);
}

double loudness_range_db(const std::vector<float>& audio) {
  std::vector<double> db = frame_levels_db(audio, kNoteSampleRate / 20, -100.0);
  if (db.size() < 10) return 0;
  std::sort(db.begin(), db.end());
  return db[db.size() * 9 / 10] - db[db.size() / 10];
}

bool aubiopitch_available() { return std::system("command -v aubiopitch > /dev/null 2>&1") == 0; }

double aubio_median_pitch(const std::vector<float>& audio, int sample_rate, const std::string& wav_path, double from_s,
                          double to_s) {
  if (wav_path.find('\'') != std::string::npos) throw Error(wav_path, "quote in the path");
  Audio a;
  a.sample_rate = sample_rate;
  a.samples = audio;
  if (sample_rate < kTrackerSampleRate) a = resample(a, kTrackerSampleRate);
  write_sound_file(wav_path, a, SampleFormat::Float32);
  // aubio's default 2048/256 window and hop at 16 kHz, scaled with the rate: the low notes keep
  // their periods in the window.
  const int scale = std::max(1, a.sample_rate / kNoteSampleRate);
  const std::string cmd = "aubiopitch -p yinfft -u midi -B " + std::to_string(2048 * scale) + " -H " + std::to_string(256 * scale) +
                          " -i '" + wav_path + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  if (!pipe) throw Error("aubiopitch", "cannot run it (apt install aubio-tools)");
  std::vector<double> values;
  double t, p;
  while (std::fscanf(pipe.get(), "%lf %lf", &t, &p) == 2)
    if (t >= from_s && t < to_s && p > 0) values.push_back(p);
  const int status = ::pclose(pipe.release());
  if (status != 0 && values.empty()) throw Error("aubiopitch", "failed on " + wav_path + " (apt install aubio-tools)");
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::nth_element(values.begin(), values.begin() + long(values.size() / 2), values.end());
  return values[values.size() / 2];
}

double folded_cents(double tracked_midi, int target_midi) {
  double c = std::fmod(100 * (tracked_midi - target_midi), 1200.0);
  if (c >= 600) c -= 1200;
  if (c < -600) c += 1200;
  return c;
}

}  // namespace timbrel::train
