// DDSP synthesizers on one CPU core: one voice's second of 16 kHz audio (250 frames), reported as
// the real-time factor (seconds of audio per second of work). Peers in the same run: the
// harmonic bank with libm's sinf instead of the vectorised sine (BM_HarmonicBankLibmSin).
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "synth/oscillator_bank.h"

namespace {

constexpr int kFrames = 250, kHop = 64;

void report_real_time_factor(benchmark::State& state) {
  state.counters["real_time_factor"] = benchmark::Counter(double(kFrames * kHop) / 16000.0, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_HarmonicSynth(benchmark::State& state) {
  const int harmonics = int(state.range(0));
  timbrel::synth::HarmonicSynth s(harmonics);
  std::vector<float> dist(size_t(harmonics), 1.0f), out(kHop);
  for (auto _ : state) {
    for (int j = 0; j < kFrames; ++j) s.push_frame(110.0f + 0.5f * float(j), 0.5f, dist.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  report_real_time_factor(state);
}
BENCHMARK(BM_HarmonicSynth)->ArgName("harmonics")->Arg(60)->Arg(100)->Unit(benchmark::kMillisecond);

// The same sum of sines with libm's sinf and a double phase: the straightforward bank.
void BM_HarmonicBankLibmSin(benchmark::State& state) {
  const int harmonics = int(state.range(0));
  std::vector<double> phase(size_t(harmonics), 0.0);
  std::vector<float> out(kHop);
  for (auto _ : state) {
    for (int j = 0; j < kFrames; ++j) {
      const double f0 = 110.0 + 0.5 * j;
      for (int m = 0; m < kHop; ++m) {
        float v = 0;
        for (int k = 0; k < harmonics; ++k) {
          phase[size_t(k)] += 2 * M_PI * f0 * (k + 1) / 16000.0;
          v += 0.5f / float(harmonics) * std::sin(float(phase[size_t(k)]));
        }
        out[size_t(m)] = v;
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  report_real_time_factor(state);
}
BENCHMARK(BM_HarmonicBankLibmSin)->ArgName("harmonics")->Arg(60)->Unit(benchmark::kMillisecond);

// The many-voice bank's CPU reference (one core): voices x real-time factor. The CUDA kernel runs
// the same per-sample body; `timbrel bench` measures it on a GPU.
void BM_OscillatorBankCpu(benchmark::State& state) {
  const int voices = int(state.range(0)), harmonics = 60;
  timbrel::synth::OscillatorBank bank(voices, harmonics);
  std::vector<float> dist(size_t(voices) * kFrames * harmonics, 1.0f), f0(size_t(voices) * kFrames), amp(f0.size(), 0.5f),
      out(size_t(voices) * kFrames * kHop);
  for (size_t i = 0; i < f0.size(); ++i) f0[i] = 110.0f + 0.5f * float(i % kFrames);
  for (auto _ : state) {
    bank.push(kFrames, f0.data(), amp.data(), dist.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["voices_real_time"] =
      benchmark::Counter(double(voices) * kFrames * kHop / 16000.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_OscillatorBankCpu)->ArgName("voices")->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);

void BM_FilteredNoise(benchmark::State& state) {
  timbrel::synth::FilteredNoise s(65);
  std::vector<float> mags(65, 0.1f), out(kHop);
  for (auto _ : state) {
    for (int j = 0; j < kFrames; ++j) s.push_frame(mags.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  report_real_time_factor(state);
}
BENCHMARK(BM_FilteredNoise)->Unit(benchmark::kMillisecond);

}  // namespace
