// (Fast) Griffin-Lim's magnitude projection with momentum, one thread per coefficient, for all
// notes of a batch in one launch; the FFTs around it are batched cuFFT (stft.h).
#include "cuda_check.h"
#include "griffin_lim.h"
#include "istft_ops.h"
#include "spectral/fast_math.h"

namespace timbrel::kernels {
namespace {

__global__ void polar_kernel(const float* magnitude, const float* phase, size_t count, int bins, float* c) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  float s, co;
  fastmath::sincos(phase[i], &s, &co);
  const int k = int(i % size_t(bins));
  c[2 * i] = magnitude[i] * co;
  c[2 * i + 1] = (k == 0 || k == bins - 1) ? 0.0f : magnitude[i] * s;
}

__global__ void project_kernel(const float* t, float* t_prev, const float* magnitude, float momentum, bool first, size_t count, int bins,
                               float* c) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= count) return;
  const int k = int(i % size_t(bins));
  project_coefficient(t + 2 * i, t_prev + 2 * i, magnitude[i], momentum, first, k == 0 || k == bins - 1, c + 2 * i);
}

}  // namespace

void launch_polar(const float* magnitude, const float* phase, size_t count, int bins, float* c, void* stream) {
  if (!count) return;
  polar_kernel<<<blocks_for(count), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(magnitude, phase, count, bins, c);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void launch_project(const float* t, float* t_prev, const float* magnitude, float momentum, bool first, size_t count, int bins, float* c,
                    void* stream) {
  if (!count) return;
  project_kernel<<<blocks_for(count), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(t, t_prev, magnitude, momentum, first, count, bins, c);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

}  // namespace timbrel::kernels
