// The many-voice oscillator bank (synth/oscillator_bank.h): its closed-form per-sample body against
// the sequential HarmonicSynth, block-size independence, and the CUDA kernel against the CPU
// reference (skipped without a GPU).
#include <gtest/gtest.h>

#include "kernel_test_helpers.h"
#include "synth/harmonic_synth.h"
#include "synth/oscillator_bank.h"
#include "timbrel/build_config.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#include "ddsp_oscillators.h"
#endif

using namespace timbrel;

namespace {

using Controls = test::OscillatorControls;
using test::bank_output;
using test::exact_voice;
using test::snr_db;
constexpr int kH = test::kOscHarmonics, kHop = test::kOscHop;

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
