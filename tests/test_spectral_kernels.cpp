// The GPU spectral stage's per-element bodies (kernels/*_ops.h), run here on the CPU, against the
// CPU path they mirror; and, with a GPU, the kernels themselves (CudaSpectral) against it.
#include <gtest/gtest.h>

#include "kernel_test_helpers.h"
#include "timbrel/build_config.h"
#include "timbrel/spectral.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_check.h"
#include "spectral_cuda.h"
#endif

using namespace timbrel;
using test::nmse;
using test::test_spectrogram;

TEST(SpectralKernelBodies, DecodeEqualsTheCpuPathBitForBit) {
  for (SpectralScale scale : {SpectralScale::Mel, SpectralScale::Linear})
    for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
      const std::vector<float> spec = test_spectrogram(3, scale);
      const std::vector<cfloat> want = test::decode_reference(spec, scale, compat);
      const std::vector<cfloat> got = test::decode_with_bodies(spec, scale, compat);
      size_t differ = 0;
      for (size_t i = 0; i < want.size(); ++i) differ += got[i] != want[i];
      EXPECT_EQ(differ, 0u) << "scale " << int(scale) << " compat " << int(compat);
      // The one-pass body (the IF path's kernel) gives the same floats.
      const std::vector<cfloat> fused = test::decode_fused_with_body(spec, scale, compat);
      differ = 0;
      for (size_t i = 0; i < want.size(); ++i) differ += fused[i] != want[i];
      EXPECT_EQ(differ, 0u) << "one pass, scale " << int(scale) << " compat " << int(compat);
    }
}

TEST(SpectralKernelBodies, EveryLinearBinFitsTheOnePassForm) {
  const SparseColumns& m2l = gansynth_mel_to_linear();
  int most = 0;
  for (int c = 0; c < m2l.outputs; ++c) most = std::max(most, m2l.start[size_t(c) + 1] - m2l.start[size_t(c)]);
  EXPECT_LE(most, kernels::kMaxContributors);
  EXPECT_GE(most, 2);
}

TEST(SpectralKernelBodies, OverlapAddOfInverseDftEqualsCpuSynthesis) {
  // Raw inverse-FFT frames from an independent double-precision DFT, overlap-added by the kernel
  // body, against FFTW's Stft::synthesize (float FFT: NMSE ~1e-14 expected).
  for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs})
    EXPECT_LT(test::overlap_add_body_nmse(compat), 1e-12) << "compat " << int(compat);
}

TEST(SpectralKernelBodies, GriffinLimProjectionEqualsCpuIterations) {
  // FGLA driven by the kernel bodies (framing, projection) around FFTW, against fast_griffin_lim.
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  for (float momentum : {0.0f, 0.99f}) {
    std::vector<float> signal;
    EXPECT_EQ(test::griffin_lim_body_nmse(momentum, &signal), 0.0) << "momentum " << momentum;
    // The framing body is the analysis window product the STFT applies.
    EXPECT_EQ(kernels::frame_sample(signal.data(), stft.analysis_window().data(), 512, 3, 100),
              signal[3 * 512 + 100] * stft.analysis_window()[100]);
  }
}

TEST(SpectralKernels, GpuEqualsCpuForEveryPhaseMethodAndBatch) {
#if !TIMBREL_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA (TIMBREL_CUDA=OFF or no nvcc)";
#else
  std::string why;
  if (!kernels::cuda_available(&why)) GTEST_SKIP() << "no GPU: " << why;
  kernels::CudaSpectral gpu(64);
  for (size_t batch : {1, 3, 8, 257}) {
    std::vector<float> specs;
    for (size_t i = 0; i < batch; ++i) {
      const auto s = test_spectrogram(unsigned(i % 5), SpectralScale::Mel);
      specs.insert(specs.end(), s.begin(), s.end());
    }
    struct Case {
      PhaseMethod phase;
      SpectralCompat compat;
      double bound;
      kernels::PghiPlacement pghi = kernels::PghiPlacement::Host;  // as CudaSpectral
    };
    // The IF path is deterministic: only cuFFT vs FFTW rounding differs (NMSE ~1e-13). Iterative
    // methods feed that rounding back 8 times. PGHI's phase comes from the CPU path (Host) or from
    // kernels/pghi.cu (Device); decoded magnitudes a rounding apart may integrate in another order.
    using P = kernels::PghiPlacement;
    for (const Case& c : {Case{PhaseMethod::If, SpectralCompat::Exact, 1e-10}, Case{PhaseMethod::If, SpectralCompat::MagentaJs, 1e-10},
                          Case{PhaseMethod::Fgla, SpectralCompat::Exact, 1e-8}, Case{PhaseMethod::PghiFgla, SpectralCompat::Exact, 1e-8, P::Host},
                          Case{PhaseMethod::PghiFgla, SpectralCompat::Exact, 1e-8, P::Device}}) {
      if (batch == 257 && c.phase != PhaseMethod::If) continue;  // keep the test short
      gpu.set_pghi_placement(c.pghi);
      InverseOptions o;
      o.phase = c.phase;
      o.compat = c.compat;
      o.iterations = 8;
      std::vector<float> want(batch * kNoteSamples), got(want.size());
      spectrograms_to_audio(specs.data(), batch, want.data(), o);
      gpu.to_audio(specs.data(), batch, got.data(), o);
      EXPECT_LE(nmse(got, want), c.bound) << "batch " << batch << " phase " << to_string(c.phase) << " compat " << int(c.compat)
                                           << (c.pghi == P::Host ? " PGHI on the host" : " PGHI on the device");
    }
    if (batch == 257) continue;
    // The same magnitudes (the GPU's decode) integrated on the device and on the host: the same
    // visiting order, only the device's log within an ulp.
    InverseOptions o;
    o.phase = PhaseMethod::Pghi;
    std::vector<float> host(batch * kNoteSamples), device(host.size());
    gpu.set_pghi_placement(P::Host);
    gpu.to_audio(specs.data(), batch, host.data(), o);
    gpu.set_pghi_placement(P::Device);
    gpu.to_audio(specs.data(), batch, device.data(), o);
    EXPECT_LE(nmse(device, host), 1e-10) << "batch " << batch << " PGHI on the device against the host";
  }
#endif
}

// Error classification needs no GPU: out of memory is its own type (Gansynth retries smaller
// batches on it); errors that leave the context unusable say so and point to --device cpu.
TEST(CudaErrors, OutOfMemoryAndFailedDeviceAreNamed) {
#if !TIMBREL_HAVE_CUDA
  GTEST_SKIP() << "built without CUDA (TIMBREL_CUDA=OFF or no nvcc)";
#else
  try {
    kernels::cuda_fail(cudaErrorMemoryAllocation, "cudaMalloc(&p, bytes)", "x.cu", 7);
    FAIL();
  } catch (const OutOfMemoryError& e) {
    EXPECT_EQ(e.subject(), "cuda");
    EXPECT_EQ(e.problem(), "out of GPU memory in cudaMalloc(&p, bytes) at x.cu:7");
  }
  for (cudaError_t lost : {cudaErrorIllegalAddress, cudaErrorECCUncorrectable, cudaErrorLaunchFailure}) {
    try {
      kernels::cuda_fail(lost, "cudaStreamSynchronize(s)", "x.cu", 9);
      FAIL();
    } catch (const OutOfMemoryError&) {
      FAIL() << "not an out-of-memory error";
    } catch (const Error& e) {
      EXPECT_NE(e.problem().find(std::string("the GPU failed (") + cudaGetErrorName(lost)), std::string::npos) << e.problem();
      EXPECT_NE(e.problem().find("use --device cpu"), std::string::npos);
    }
  }
  try {
    kernels::cuda_fail(cudaErrorInvalidValue, "cudaMemcpy(a, b)", "x.cu", 11);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.problem().find("the GPU failed"), std::string::npos);
    EXPECT_NE(e.problem().find("cudaMemcpy(a, b) at x.cu:11 failed"), std::string::npos);
  }
#endif
}
