#include "train/audio_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "spectral/stft.h"
#include "timbrel/error.h"
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

bool aubiopitch_available() { return std::system("command -v aubiopitch > /dev/null 2>&1") == 0; }

double aubio_median_pitch(const std::string& wav_path, double from_s, double to_s) {
  if (wav_path.find('\'') != std::string::npos) throw Error(wav_path, "quote in the path");
  const std::string cmd = "aubiopitch -p yinfft -u midi -i '" + wav_path + "' 2>/dev/null";
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
