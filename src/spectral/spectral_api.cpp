// The public spectral API (include/timbrel/spectral.h) on top of the GANSynth representation and
// the phase reconstruction methods.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

#include "spectral/gansynth_contract.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/phase_reconstruction.h"
#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "util/png.h"

namespace timbrel {

static_assert(kSpectrogramFrames == gansynth::kFrames && kSpectrogramBins == gansynth::kBins &&
                  kNoteSamples == gansynth::kAudioSamples && kNoteSampleRate == gansynth::kSampleRate,
              "public sizes must match the contract");

PhaseMethod parse_phase_method(const std::string& text, const std::string& parameter) {
  if (text == "if") return PhaseMethod::If;
  if (text == "griffin-lim" || text == "gl") return PhaseMethod::GriffinLim;
  if (text == "fgla") return PhaseMethod::Fgla;
  if (text == "pghi") return PhaseMethod::Pghi;
  if (text == "if+fgla") return PhaseMethod::IfFgla;
  if (text == "pghi+fgla") return PhaseMethod::PghiFgla;
  throw Error(parameter, "'" + text + "' is not one of if, griffin-lim, fgla, pghi, if+fgla, pghi+fgla");
}

std::string to_string(PhaseMethod m) {
  switch (m) {
    case PhaseMethod::If: return "if";
    case PhaseMethod::GriffinLim: return "griffin-lim";
    case PhaseMethod::Fgla: return "fgla";
    case PhaseMethod::Pghi: return "pghi";
    case PhaseMethod::IfFgla: return "if+fgla";
    case PhaseMethod::PghiFgla: return "pghi+fgla";
  }
  return "?";
}

namespace gansynth {

std::vector<float> analyse(const float* audio, size_t samples, SpectralScale scale) {
  const int frames = frames_for(samples);
  std::vector<cfloat> stft(size_t(frames) * kStftBins);
  audio_to_stft(audio, samples, stft.data());
  std::vector<float> out(size_t(frames) * kBins * 2);
  encode(stft.data(), frames, out.data(), scale);
  return out;
}

void invert(const float* spec, int frames, float* audio, size_t samples, const InverseOptions& o) {
  const size_t n = size_t(frames) * kStftBins;
  if (o.phase == PhaseMethod::If) {
    thread_local std::vector<cfloat> stft;
    stft.resize(n);
    decode_to_stft(spec, frames, stft.data(), o.scale, o.compat);
    stft_to_audio(stft.data(), frames, audio, samples, o.compat);
    return;
  }
  // Per-thread buffers for notes (fresh pages cost more than the work); a long file's are its own.
  constexpr size_t kKept = size_t(1) << 20;
  thread_local std::vector<float> kept_mag, kept_phase;
  thread_local std::vector<cfloat> kept_stft;
  std::vector<float> own_mag, own_phase;
  std::vector<cfloat> own_stft;
  std::vector<float>& mag = n <= kKept ? kept_mag : own_mag;
  std::vector<float>& phase = n <= kKept ? kept_phase : own_phase;
  mag.resize(n);
  phase.resize(n);
  const bool keeps_if_phase = o.phase == PhaseMethod::IfFgla;
  decode_polar(spec, frames, mag.data(), keeps_if_phase ? phase.data() : nullptr, o.scale, o.compat);
  switch (o.phase) {
    case PhaseMethod::If: break;
    case PhaseMethod::GriffinLim:
    case PhaseMethod::Fgla: random_phase(phase.data(), n, o.seed); break;
    case PhaseMethod::Pghi:
    case PhaseMethod::PghiFgla:
      pghi_phase(mag.data(), frames, kStftBins, kFftSize, kHop, hann_pghi_gamma(kFftSize), phase.data());
      break;
    case PhaseMethod::IfFgla: break;
  }
  const bool iterate = o.phase == PhaseMethod::GriffinLim || o.phase == PhaseMethod::Fgla ||
                       o.phase == PhaseMethod::IfFgla || o.phase == PhaseMethod::PghiFgla;
  if (iterate) {
    if (o.iterations < 0) throw Error("iterations", "must be 0 or more");
    const Stft& stft = stft_for(o.compat);
    std::vector<float> full(stft.signal_length(frames));
    const float momentum = o.phase == PhaseMethod::GriffinLim ? 0.0f : o.momentum;
    fast_griffin_lim(stft, mag.data(), frames, phase.data(), o.iterations, momentum, full.data());
    std::fill(audio, audio + samples, 0.0f);
    std::copy(full.begin() + kFrontPadding, full.begin() + kFrontPadding + std::min(samples, full.size() - kFrontPadding), audio);
    return;
  }
  std::vector<cfloat>& stft = n <= kKept ? kept_stft : own_stft;
  stft.resize(n);
  polar_to_stft(mag.data(), phase.data(), frames, stft.data());
  stft_to_audio(stft.data(), frames, audio, samples, o.compat);
}

}  // namespace gansynth

std::vector<float> audio_to_spectrogram(const std::vector<float>& audio, SpectralScale scale) {
  if (audio.size() > size_t(kNoteSamples))
    throw Error("spectrogram", "a note is at most " + std::to_string(kNoteSamples) + " samples, got " +
                                   std::to_string(audio.size()));
  std::vector<float> padded(audio);
  padded.resize(kNoteSamples, 0.0f);
  return gansynth::analyse(padded.data(), padded.size(), scale);
}

std::vector<float> spectrogram_to_audio(const std::vector<float>& spec, const InverseOptions& options) {
  if (spec.size() != kSpectrogramValues)
    throw Error("spectrogram", "expected 128 x 1024 x 2 values, got " + std::to_string(spec.size()));
  std::vector<float> audio(kNoteSamples);
  gansynth::invert(spec.data(), kSpectrogramFrames, audio.data(), audio.size(), options);
  return audio;
}

namespace {
// Runs fn(i) for i in [0, count) on up to `threads` threads (0: all cores); rethrows the first error.
template <typename F>
void parallel_for(size_t count, int threads, F fn) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::min<size_t>(count, threads > 0 ? size_t(threads) : hw);
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (size_t w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      try {
        for (size_t i = count * w / workers; i < count * (w + 1) / workers; ++i) fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}
}  // namespace

void spectrograms_to_audio(const float* specs, size_t count, float* audio, const InverseOptions& options,
                           int threads) {
  parallel_for(count, threads, [&](size_t i) {
    gansynth::invert(specs + i * kSpectrogramValues, kSpectrogramFrames, audio + i * kNoteSamples, kNoteSamples,
                     options);
  });
}

void audios_to_spectrograms(const float* audio, size_t count, float* specs, SpectralScale scale, int threads) {
  parallel_for(count, threads, [&](size_t i) {
    auto s = gansynth::analyse(audio + i * kNoteSamples, kNoteSamples, scale);
    std::copy(s.begin(), s.end(), specs + i * kSpectrogramValues);
  });
}

double spectral_convergence_of(const std::vector<float>& audio, const std::vector<float>& reference) {
  using namespace gansynth;
  const size_t samples = std::max(audio.size(), reference.size());
  const int frames = frames_for(samples);
  const Stft& stft = stft_for(SpectralCompat::Exact);
  std::vector<float> ref = pad_audio(reference.data(), reference.size(), frames);
  std::vector<cfloat> spec(size_t(frames) * kStftBins);
  stft.analyze(ref.data(), frames, spec.data());
  std::vector<float> mag(spec.size());
  for (size_t i = 0; i < spec.size(); ++i) mag[i] = std::abs(spec[i]);
  std::vector<float> sig = pad_audio(audio.data(), audio.size(), frames);
  return spectral_convergence(stft, mag.data(), frames, sig.data());
}

double snr_db(const std::vector<float>& signal, const std::vector<float>& reference) {
  double num = 0, den = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double s = i < signal.size() ? signal[i] : 0.0;
    num += double(reference[i]) * reference[i];
    den += (s - reference[i]) * (s - reference[i]);
  }
  if (den == 0) return INFINITY;
  return 10.0 * std::log10(num / den);
}

int spectrogram_frames(size_t samples) { return gansynth::frames_for(samples); }

std::vector<float> analyse_audio(const float* audio, size_t samples, SpectralScale scale) {
  return gansynth::analyse(audio, samples, scale);
}

void resynthesize(const float* spectrogram, int frames, float* audio, size_t samples, const InverseOptions& options) {
  gansynth::invert(spectrogram, frames, audio, samples, options);
}

void write_spectrogram_png(const std::string& path, const std::vector<float>& spectrogram, int frames) {
  if (frames < 1 || spectrogram.size() != size_t(frames) * kSpectrogramBins * 2)
    throw Error("spectrogram", "expected " + std::to_string(frames) + " x 1024 x 2 values, got " + std::to_string(spectrogram.size()));
  const RgbImage img = render_spectrogram(spectrogram.data(), frames, kSpectrogramBins);
  write_png(path, img.width, img.height, img.rgb);
}

}  // namespace timbrel
