// Inverse STFT: batched cuFFT C2R + a fused overlap-add/window/normalise/trim kernel (one thread
// per output sample, reading the <= n/hop frames that cover it); and the framing for analysis.
#include <string>

#include "cuda_check.h"
#include "istft_ops.h"
#include "stft.h"

// cuFFT allocates its work area at plan time: an allocation failure is out of memory.
#define TIMBREL_CUFFT_CHECK(call)                                                                            \
  do {                                                                                                       \
    cufftResult timbrel_fft_ = (call);                                                                       \
    if (timbrel_fft_ == CUFFT_ALLOC_FAILED)                                                                  \
      throw ::timbrel::OutOfMemoryError("cufft", std::string("out of GPU memory in ") + #call + " at " + __FILE__ + ":" + \
                                                     std::to_string(__LINE__));                              \
    if (timbrel_fft_ != CUFFT_SUCCESS)                                                                       \
      throw ::timbrel::Error("cufft", std::string(#call) + " failed at " + __FILE__ + ":" + std::to_string(__LINE__) + \
                                          ": cufftResult " + std::to_string(int(timbrel_fft_)));           \
  } while (0)

namespace timbrel::kernels {
namespace {

__global__ void overlap_add_kernel(const float* frames, const float* window, size_t notes, int count, int n, int hop, size_t first,
                                   size_t samples, float* audio) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * samples) return;
  const size_t note = i / samples;
  audio[i] = overlap_add_sample(frames + note * size_t(count) * n, window, count, n, hop, first + i % samples);
}

__global__ void framing_kernel(const float* signal, size_t signal_length, const float* window, size_t notes, int count, int n, int hop,
                               float* frames) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * size_t(count) * n) return;
  const size_t per_note = size_t(count) * n, note = i / per_note, r = i % per_note;
  frames[i] = frame_sample(signal + note * signal_length, window, hop, int(r / n), int(r % n));
}

}  // namespace

FftPlans::FftPlans(int n, size_t batch, void* stream) : batch_(batch) {
  int size = n;
  TIMBREL_CUFFT_CHECK(cufftPlanMany(&c2r_, 1, &size, nullptr, 1, n / 2 + 1, nullptr, 1, n, CUFFT_C2R, int(batch)));
  TIMBREL_CUFFT_CHECK(cufftPlanMany(&r2c_, 1, &size, nullptr, 1, n, nullptr, 1, n / 2 + 1, CUFFT_R2C, int(batch)));
  TIMBREL_CUFFT_CHECK(cufftSetStream(c2r_, static_cast<cudaStream_t>(stream)));
  TIMBREL_CUFFT_CHECK(cufftSetStream(r2c_, static_cast<cudaStream_t>(stream)));
}

FftPlans::~FftPlans() {
  if (c2r_) cufftDestroy(c2r_);
  if (r2c_) cufftDestroy(r2c_);
}

void FftPlans::inverse(float* spectrum, float* frames) const {
  TIMBREL_CUFFT_CHECK(cufftExecC2R(c2r_, reinterpret_cast<cufftComplex*>(spectrum), frames));
}

void FftPlans::forward(float* frames, float* spectrum) const {
  TIMBREL_CUFFT_CHECK(cufftExecR2C(r2c_, frames, reinterpret_cast<cufftComplex*>(spectrum)));
}

void launch_overlap_add(const float* frames, const float* window, size_t notes, int count, int n, int hop, size_t first, size_t samples,
                        float* audio, void* stream) {
  if (!notes || !samples) return;
  overlap_add_kernel<<<blocks_for(notes * samples), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(frames, window, notes, count, n, hop,
                                                                                                    first, samples, audio);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void launch_framing(const float* signal, size_t signal_length, const float* window, size_t notes, int count, int n, int hop,
                    float* frames, void* stream) {
  if (!notes) return;
  framing_kernel<<<blocks_for(notes * size_t(count) * n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(signal, signal_length, window,
                                                                                                          notes, count, n, hop, frames);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

}  // namespace timbrel::kernels
