// The many-voice oscillator bank (synth/oscillator_bank.h): its closed-form per-sample body against
// the sequential HarmonicSynth, block-size independence, and the CUDA kernel against the CPU
// reference (skipped without a GPU).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "synth/harmonic_synth.h"
#include "synth/oscillator_bank_ops.h"
#include "synth/oscillator_bank.h"
#include "timbrel/build_config.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#include "ddsp_oscillators.h"
#endif

using namespace timbrel;

namespace {

constexpr int kH = 60, kHop = 64;

// Voices gliding from 100 to 900 Hz (the top harmonics cross Nyquist), swelling, random spectra.
struct Controls {
  int voices, frames;
  std::vector<float> f0, amp, dist;  // [v][f], [v][f], [v][f][H]
  Controls(int v, int f, unsigned seed) : voices(v), frames(f), f0(size_t(v * f)), amp(size_t(v * f)), dist(size_t(v * f * kH)) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 1);
    for (int i = 0; i < v; ++i) {
      const float lo = 100 + 50 * float(i), hi = 900 - 30 * float(i);
      for (int j = 0; j < f; ++j) {
        f0[size_t(i * f + j)] = lo + (hi - lo) * float(j) / float(f);
        amp[size_t(i * f + j)] = 0.2f + 0.1f * std::sin(float(j) / 15);
        for (int k = 0; k < kH; ++k) dist[size_t((i * f + j) * kH + k)] = u(rng);
      }
    }
  }
};

// Bank output of every voice for frames 1.. (frame 0 starts the voice), in blocks of `block`.
std::vector<float> bank_output(const Controls& c, int block, const synth::OscillatorBank::Renderer& render = synth::render_oscillator_block) {
  synth::OscillatorBank bank(c.voices, kH);
  for (int v = 0; v < c.voices; ++v) bank.start(v, c.f0[size_t(v * c.frames)], c.amp[size_t(v * c.frames)], &c.dist[size_t(v * c.frames * kH)]);
  std::vector<float> out(size_t(c.voices) * size_t(c.frames - 1) * kHop);
  for (int first = 1; first < c.frames; first += block) {
    const int n = std::min(block, c.frames - first);
    std::vector<float> f0, amp, dist, part(size_t(c.voices * n * kHop));
    for (int v = 0; v < c.voices; ++v)
      for (int j = first; j < first + n; ++j) {
        f0.push_back(c.f0[size_t(v * c.frames + j)]);
        amp.push_back(c.amp[size_t(v * c.frames + j)]);
        dist.insert(dist.end(), c.dist.begin() + (v * c.frames + j) * kH, c.dist.begin() + (v * c.frames + j + 1) * kH);
      }
    bank.push(n, f0.data(), amp.data(), dist.data(), part.data(), render);
    for (int v = 0; v < c.voices; ++v)
      std::copy(part.begin() + v * n * kHop, part.begin() + (v + 1) * n * kHop,
                out.begin() + long(size_t(v) * size_t(c.frames - 1) * kHop + size_t(first - 1) * kHop));
  }
  return out;
}

double snr_db(const float* got, const float* want, size_t n) {
  double s = 0, e = 0;
  for (size_t i = 0; i < n; ++i) s += double(want[i]) * want[i], e += std::pow(double(got[i]) - want[i], 2);
  return 10 * std::log10(s / std::max(e, 1e-30));
}

// The graph's harmonic branch with the phase summed exactly (double), sample by sample: frame
// amplitudes Nyquist-masked and renormalised, Hann cross-faded; frequencies linear within a hop.
std::vector<double> exact_voice(const Controls& c, int v) {
  std::vector<double> out;
  std::vector<float> a(kH), b(kH);
  double cycles = 0;
  for (int j = 0; j + 1 < c.frames; ++j) {
    const size_t at = size_t(v * c.frames + j);
    synth::frame_amplitudes(c.f0[at], c.amp[at], &c.dist[at * kH], kH, 8000, a.data());
    synth::frame_amplitudes(c.f0[at + 1], c.amp[at + 1], &c.dist[(at + 1) * kH], kH, 8000, b.data());
    for (int m = 0; m < kHop; ++m) {
      const double f = c.f0[at] + (double(c.f0[at + 1]) - c.f0[at]) * m / kHop;
      cycles += f / 16000;
      const double w = 0.5 - 0.5 * std::cos(M_PI * m / kHop);
      double y = 0;
      for (int k = 1; k <= kH && f * k < 8000; ++k) y += (a[size_t(k - 1)] + (b[size_t(k - 1)] - a[size_t(k - 1)]) * w) * std::sin(2 * M_PI * k * cycles);
      out.push_back(y);
    }
  }
  return out;
}

TEST(OscillatorBank, EqualsTheExactPhaseAndTheSequentialSynth) {
  const Controls c(3, 400, 1);
  const std::vector<float> bank = bank_output(c, 64);
  for (int v = 0; v < c.voices; ++v) {
    const std::vector<double> exact = exact_voice(c, v);
    std::vector<float> want(exact.begin(), exact.end());
    synth::HarmonicSynth s(kH);
    std::vector<float> seq, hop(kHop);
    for (int j = 0; j < c.frames; ++j) {
      const size_t at = size_t(v * c.frames + j);
      const int n = s.push_frame(c.f0[at], c.amp[at], &c.dist[at * kH], hop.data());
      seq.insert(seq.end(), hop.begin(), hop.begin() + n);
    }
    ASSERT_EQ(seq.size(), want.size());
    const double ours = snr_db(bank.data() + size_t(v) * want.size(), want.data(), want.size());
    const double graph = snr_db(seq.data(), want.data(), want.size());
    std::printf("voice %d vs the exact phase: bank %.1f dB SNR, HarmonicSynth (the graph's float sums) %.1f dB\n", v, ours, graph);
    EXPECT_GT(ours, 70);
    EXPECT_GT(graph, 50);
  }
}

TEST(OscillatorBank, BlockSizeDoesNotChangeTheAudio) {
  const Controls c(2, 200, 2);
  const std::vector<float> whole = bank_output(c, 1000), small = bank_output(c, 7);
  EXPECT_EQ(whole, small);
}

TEST(OscillatorBank, GpuKernelEqualsCpuReference) {
#if !TIMBREL_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA (TIMBREL_CUDA=OFF or no nvcc)";
#else
  std::string why;
  if (kernels::cuda_devices(&why).empty()) GTEST_SKIP() << "no GPU: " << why;
  const Controls c(257, 120, 3);
  const std::vector<float> cpu = bank_output(c, 50), gpu = bank_output(c, 50, kernels::render_oscillator_block_via_gpu);
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) worst = std::max(worst, double(std::fabs(cpu[i] - gpu[i])));
  std::printf("GPU vs CPU oscillator bank: worst |difference| %.2e over %zu samples\n", worst, cpu.size());
  EXPECT_LT(worst, 2e-4);  // sinpif vs std::sin, one float ulp of phase apart at the 60th harmonic
#endif
}

}  // namespace
