// Spectrogram generation: de-normalise, exp, IF cumulative sum, sparse mel -> linear, polar ->
// complex with the DC bin. The IF path runs it in one pass (one thread per note and STFT bin
// walking time); the iterative methods use two (pass 1 per mel bin, pass 2 per frame and bin, to
// polar form). Bodies in spectral_decode_ops.h, shared with the CPU tests.
#include "cuda_check.h"
#include "spectral_decode.h"

namespace timbrel::kernels {
namespace {

__global__ void cumulate_kernel(const float* specs, size_t notes, int frames, float* power, float* phase) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * gansynth::kBins) return;
  const size_t note = i / gansynth::kBins, off = note * size_t(frames) * gansynth::kBins;
  cumulate_bin(specs + off * 2, frames, int(i % gansynth::kBins), power + off, phase + off);
}

template <bool kComplex>
__global__ void decode_kernel(const float* power, const float* phase, size_t notes, int frames, bool mel, SparseView m2l, float eps,
                              float* out_a, float* out_b) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * size_t(frames) * kStftBins) return;
  const size_t row = i / kStftBins;  // note * frames + t
  const int k = int(i % kStftBins);
  float m, p;
  linear_polar(power + row * gansynth::kBins, phase + row * gansynth::kBins, k, mel, m2l, eps, &m, &p);
  if (kComplex) {
    polar_to_c2r(m, p, k, out_a + 2 * i, out_a + 2 * i + 1);
  } else {
    out_a[i] = m;
    out_b[i] = p;
  }
}

__global__ void decode_fused_kernel(const float* specs, size_t notes, int frames, bool mel, SparseView m2l, float eps, float* spectrum) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * kStftBins) return;
  const size_t note = i / kStftBins;
  decode_bin_fused(specs + note * size_t(frames) * gansynth::kBins * 2, frames, int(i % kStftBins), mel, m2l, eps,
                   spectrum + note * size_t(frames) * kStftBins * 2);
}


}  // namespace

void launch_cumulate(const float* specs, size_t notes, int frames, float* power, float* phase, void* stream) {
  if (!notes) return;
  cumulate_kernel<<<blocks_for(notes * gansynth::kBins), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(specs, notes, frames, power, phase);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void launch_decode_complex(const float* power, const float* phase, size_t notes, int frames, bool mel, SparseView m2l, float eps,
                           float* spectrum, void* stream) {
  if (!notes) return;
  decode_kernel<true><<<blocks_for(notes * size_t(frames) * kStftBins), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      power, phase, notes, frames, mel, m2l, eps, spectrum, nullptr);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void launch_decode_fused(const float* specs, size_t notes, int frames, bool mel, SparseView m2l, float eps, float* spectrum, void* stream) {
  if (!notes) return;
  decode_fused_kernel<<<blocks_for(notes * kStftBins), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(specs, notes, frames, mel, m2l, eps,
                                                                                                    spectrum);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void launch_decode_polar(const float* power, const float* phase, size_t notes, int frames, bool mel, SparseView m2l, float eps,
                         float* magnitude, float* phase_out, void* stream) {
  if (!notes) return;
  decode_kernel<false><<<blocks_for(notes * size_t(frames) * kStftBins), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      power, phase, notes, frames, mel, m2l, eps, magnitude, phase_out);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

}  // namespace timbrel::kernels
