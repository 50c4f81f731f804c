// Spectral stage throughput on the CPU, one thread: spectrogram -> audio per note (the generator's
// mel + IF path), analysis, and phase reconstruction. items_per_second = notes per second.
#include <benchmark/benchmark.h>

#include <cmath>

#include "bench_notes.h"
#include "spectral/gansynth_contract.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/phase_reconstruction.h"
#include "timbrel/spectral.h"

using namespace timbrel;

namespace {

using bench::harmonic_note;

void BM_SpectrogramToAudio(benchmark::State& state) {
  const int batch = int(state.range(0));
  auto spec = audio_to_spectrogram(harmonic_note(), SpectralScale::Mel);
  std::vector<float> specs(spec.size() * size_t(batch)), audio(size_t(kNoteSamples) * size_t(batch));
  for (int b = 0; b < batch; ++b) std::copy(spec.begin(), spec.end(), specs.begin() + long(b * spec.size()));
  for (auto _ : state) spectrograms_to_audio(specs.data(), size_t(batch), audio.data(), InverseOptions{}, 1);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["ms_per_note"] = benchmark::Counter(1e-3 * batch, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SpectrogramToAudio)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

// The same path with PGHI phase (the product's default for generated notes), on the swept note.
void BM_SpectrogramToAudioPghi(benchmark::State& state) {
  auto spec = audio_to_spectrogram(bench::swept_note(), SpectralScale::Mel);
  std::vector<float> audio(kNoteSamples);
  InverseOptions o;
  o.phase = PhaseMethod::Pghi;
  for (auto _ : state) spectrograms_to_audio(spec.data(), 1, audio.data(), o, 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpectrogramToAudioPghi)->Unit(benchmark::kMillisecond);

void BM_AudioToSpectrogram(benchmark::State& state) {
  auto note = harmonic_note();
  for (auto _ : state) benchmark::DoNotOptimize(audio_to_spectrogram(note, SpectralScale::Mel));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AudioToSpectrogram)->Unit(benchmark::kMillisecond);

struct Magnitudes {
  std::vector<float> mag;
  Magnitudes() {
    auto note = harmonic_note();
    std::vector<cfloat> stft(size_t(gansynth::kFrames) * gansynth::kStftBins);
    gansynth::audio_to_stft(note.data(), note.size(), stft.data());
    for (const cfloat& c : stft) mag.push_back(std::abs(c));
  }
};

// FGLA with `range(0)` iterations on one note (1: the cost of one iteration).
void BM_FastGriffinLim(benchmark::State& state) {
  Magnitudes m;
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  std::vector<float> phase(m.mag.size()), signal(stft.signal_length(gansynth::kFrames));
  for (auto _ : state) {
    random_phase(phase.data(), phase.size(), 1);
    fast_griffin_lim(stft, m.mag.data(), gansynth::kFrames, phase.data(), int(state.range(0)), 0.99f, signal.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FastGriffinLim)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond);

// FGLA's floor: the `range(0)` inverse and forward STFTs (FFTW, windows, overlap-add) its
// iterations cannot do without, with no projection or momentum.
void BM_FglaTransformsOnly(benchmark::State& state) {
  Magnitudes m;
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  std::vector<cfloat> spec(m.mag.size(), cfloat(1.0f, 0.5f));
  std::vector<float> signal(stft.signal_length(gansynth::kFrames));
  for (auto _ : state)
    for (int i = 0; i < state.range(0); ++i) {
      stft.synthesize(spec.data(), gansynth::kFrames, signal.data());
      stft.analyze(signal.data(), gansynth::kFrames, spec.data());
    }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FglaTransformsOnly)->Arg(32)->Unit(benchmark::kMillisecond);

// PGHI alone on one note's exact magnitudes, coefficients below 10^-range(0) of the peak skipped
// (4: the product's tolerance, 10: the textbook's).
void BM_Pghi(benchmark::State& state) {
  Magnitudes m;
  std::vector<float> phase(m.mag.size());
  for (auto _ : state)
    pghi_phase(m.mag.data(), gansynth::kFrames, gansynth::kStftBins, 2048, 512, hann_pghi_gamma(2048), phase.data(), std::pow(10.0, -double(state.range(0))));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Pghi)->Arg(10)->Arg(4)->Unit(benchmark::kMillisecond);

// PGHI on what the product integrates: a note's mel spectrogram decoded to linear magnitudes (the
// swept note: 52,000 coefficients above the tolerance; a generated note has ~70,000).
void BM_PghiDecoded(benchmark::State& state) {
  auto spec = audio_to_spectrogram(bench::swept_note(), SpectralScale::Mel);
  const size_t n = size_t(gansynth::kFrames) * gansynth::kStftBins;
  std::vector<float> mag(n), phase(n);
  gansynth::decode_polar(spec.data(), gansynth::kFrames, mag.data(), phase.data(), SpectralScale::Mel, SpectralCompat::Exact);
  for (auto _ : state)
    pghi_phase(mag.data(), gansynth::kFrames, gansynth::kStftBins, 2048, 512, hann_pghi_gamma(2048), phase.data());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PghiDecoded)->Unit(benchmark::kMillisecond);

}  // namespace
