// The GPU spectral stage's per-element bodies (kernels/*_ops.h), run here on the CPU, against the
// CPU path they mirror; and, with a GPU, the kernels themselves (CudaSpectral) against it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "istft_ops.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/mel.h"
#include "spectral/phase_reconstruction.h"
#include "spectral_decode_ops.h"
#include "timbrel/build_config.h"
#include "timbrel/spectral.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_check.h"
#endif
#if TIMBREL_HAVE_CUDA
#include "spectral_cuda.h"
#endif

using namespace timbrel;

namespace {

double nmse(const std::vector<float>& got, const std::vector<float>& want) {
  double e = 0, s = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    e += std::pow(double(got[i]) - want[i], 2);
    s += double(want[i]) * want[i];
  }
  return s > 0 ? e / s : e;
}

// A real note's spectrogram (harmonic tone with vibrato and a decay), plus seeded noise, so that
// both smooth and rough inputs are covered.
std::vector<float> test_spectrogram(unsigned seed, SpectralScale scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const double f0 = 110.0 * std::pow(2.0, u(rng) * 3);
  std::vector<float> audio(kNoteSamples);
  for (int i = 0; i < kNoteSamples; ++i) {
    const double t = i / 16000.0, f = f0 * (1 + 0.01 * std::sin(2 * M_PI * 5 * t));
    for (int h = 1; h <= 8; ++h) audio[size_t(i)] += float(std::sin(2 * M_PI * f * h * t) * std::exp(-t) / h * 0.2);
    audio[size_t(i)] += 0.01f * (u(rng) - 0.5f);
  }
  return audio_to_spectrogram(audio, scale);
}

// The decode kernels' bodies over one note, as the two launches run them.
std::vector<cfloat> decode_with_bodies(const std::vector<float>& spec, SpectralScale scale, SpectralCompat compat) {
  const int frames = kSpectrogramFrames;
  std::vector<float> power(size_t(frames) * 1024), phase(power.size());
  for (int m = 0; m < 1024; ++m) kernels::cumulate_bin(spec.data(), frames, m, power.data(), phase.data());
  const SparseColumns& m2l = gansynth_mel_to_linear();
  const kernels::SparseView view{m2l.start.data(), m2l.index.data(), m2l.weight.data()};
  const float eps = compat == SpectralCompat::Exact ? 1e-6f : 0.0f;
  std::vector<cfloat> out(size_t(frames) * 1025);
  for (int t = 0; t < frames; ++t)
    for (int k = 0; k < 1025; ++k) {
      float m, p, re, im;
      kernels::linear_polar(power.data() + size_t(t) * 1024, phase.data() + size_t(t) * 1024, k, scale == SpectralScale::Mel, view, eps, &m, &p);
      kernels::polar_to_c2r(m, p, k, &re, &im);
      out[size_t(t) * 1025 + size_t(k)] = {re, im};
    }
  return out;
}

}  // namespace

TEST(SpectralKernelBodies, DecodeEqualsTheCpuPathBitForBit) {
  for (SpectralScale scale : {SpectralScale::Mel, SpectralScale::Linear})
    for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
      const std::vector<float> spec = test_spectrogram(3, scale);
      std::vector<cfloat> want(size_t(kSpectrogramFrames) * 1025);
      gansynth::decode_to_stft(spec.data(), kSpectrogramFrames, want.data(), scale, compat);
      for (int t = 0; t < kSpectrogramFrames; ++t) want[size_t(t) * 1025 + 1024].imag(0.0f);  // C2R input: Nyquist real
      const std::vector<cfloat> got = decode_with_bodies(spec, scale, compat);
      size_t differ = 0;
      for (size_t i = 0; i < want.size(); ++i) differ += got[i] != want[i];
      EXPECT_EQ(differ, 0u) << "scale " << int(scale) << " compat " << int(compat);
      // The one-pass body (the IF path's kernel) gives the same floats.
      const SparseColumns& m2l = gansynth_mel_to_linear();
      const kernels::SparseView view{m2l.start.data(), m2l.index.data(), m2l.weight.data()};
      std::vector<cfloat> fused(want.size());
      for (int k = 0; k < 1025; ++k)
        kernels::decode_bin_fused(spec.data(), kSpectrogramFrames, k, scale == SpectralScale::Mel, view,
                                  compat == SpectralCompat::Exact ? 1e-6f : 0.0f, reinterpret_cast<float*>(fused.data()));
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
  const int frames = 12, n = 2048, hop = 512;
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0, 1);
  std::vector<cfloat> spec(size_t(frames) * 1025);
  for (auto& c : spec) c = {g(rng), g(rng)};
  std::vector<double> cosine(n), sine(n);
  for (int i = 0; i < n; ++i) cosine[size_t(i)] = std::cos(2 * M_PI * i / n), sine[size_t(i)] = std::sin(2 * M_PI * i / n);
  std::vector<float> raw(size_t(frames) * n);
  for (int t = 0; t < frames; ++t) {
    const cfloat* X = spec.data() + size_t(t) * 1025;
    for (int j = 0; j < n; ++j) {
      double x = X[0].real() + X[1024].real() * (j % 2 ? -1 : 1);
      for (int k = 1; k < 1024; ++k) {
        const size_t r = size_t(k) * size_t(j) % size_t(n);
        x += 2 * (X[k].real() * cosine[r] - X[k].imag() * sine[r]);
      }
      raw[size_t(t) * n + size_t(j)] = float(x);
    }
  }
  for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
    const Stft& stft = gansynth::stft_for(compat);
    std::vector<float> want(stft.signal_length(frames)), got(want.size());
    stft.synthesize(spec.data(), frames, want.data());
    for (size_t p = 0; p < got.size(); ++p)
      got[p] = kernels::overlap_add_sample(raw.data(), stft.synthesis_scaled().data(), frames, n, hop, p);
    EXPECT_LT(nmse(got, want), 1e-12) << "compat " << int(compat);
  }
}

TEST(SpectralKernelBodies, GriffinLimProjectionEqualsCpuIterations) {
  // FGLA driven by the kernel bodies (framing, projection) around FFTW, against fast_griffin_lim.
  const int frames = 16;
  const Stft& stft = gansynth::stft_for(SpectralCompat::Exact);
  const size_t count = size_t(frames) * 1025;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> mag(count), phase(count);
  for (auto& m : mag) m = u(rng) * u(rng);
  random_phase(phase.data(), count, 11);
  for (float momentum : {0.0f, 0.99f}) {
    std::vector<float> want(stft.signal_length(frames)), ph = phase;
    fast_griffin_lim(stft, mag.data(), frames, ph.data(), 6, momentum, want.data());

    std::vector<cfloat> c(count), t(count), t_prev(count);
    for (size_t i = 0; i < count; ++i) {
      float s, co;
      fastmath::sincos(phase[i], &s, &co);
      c[i] = {mag[i] * co, mag[i] * s};
    }
    std::vector<float> signal(want.size()), framed(signal.size());
    for (int it = 0; it < 6; ++it) {
      stft.synthesize(c.data(), frames, signal.data());
      stft.analyze(signal.data(), frames, t.data());
      for (size_t i = 0; i < count; ++i) {
        const int k = int(i % 1025);
        kernels::project_coefficient(reinterpret_cast<float*>(&t[i]), reinterpret_cast<float*>(&t_prev[i]), mag[i], momentum, it == 0,
                                     k == 0 || k == 1024, reinterpret_cast<float*>(&c[i]));
      }
    }
    std::vector<float> got(want.size());
    stft.synthesize(c.data(), frames, got.data());
    EXPECT_EQ(nmse(got, want), 0.0) << "momentum " << momentum;
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
    };
    // The IF path is deterministic: only cuFFT vs FFTW rounding differs (NMSE ~1e-13). Iterative
    // methods feed that rounding back 8 times; PGHI's CPU phase then the polish on the GPU.
    for (const Case& c : {Case{PhaseMethod::If, SpectralCompat::Exact, 1e-10}, Case{PhaseMethod::If, SpectralCompat::MagentaJs, 1e-10},
                          Case{PhaseMethod::Fgla, SpectralCompat::Exact, 1e-8}, Case{PhaseMethod::PghiFgla, SpectralCompat::Exact, 1e-8}}) {
      if (batch == 257 && c.phase != PhaseMethod::If) continue;  // keep the test short
      InverseOptions o;
      o.phase = c.phase;
      o.compat = c.compat;
      o.iterations = 8;
      std::vector<float> want(batch * kNoteSamples), got(want.size());
      spectrograms_to_audio(specs.data(), batch, want.data(), o);
      gpu.to_audio(specs.data(), batch, got.data(), o);
      EXPECT_LE(nmse(got, want), c.bound) << "batch " << batch << " phase " << to_string(c.phase) << " compat " << int(c.compat);
    }
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
