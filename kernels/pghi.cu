// PGHI on the device, batched over notes: the largest magnitude of each note (a block per note),
// every padded cell's phase derivatives (a thread per cell), the heap integration (a thread per
// note: it is sequential within a note) and the wrapped phases (a thread per coefficient). The
// arithmetic and the visiting order are spectral/pghi_ops.h's, which the CPU path shares.
#include "cuda_check.h"
#include "pghi.h"
#include "spectral/pghi_ops.h"

namespace timbrel::kernels {
namespace {

using NotePeak = PghiNotePeak;

constexpr int kPeakThreads = 256;

// One block per note: the largest peak_candidate, then the last index holding it.
__global__ void peak_kernel(const float* magnitude, size_t n, double tolerance, NotePeak* peaks) {
  __shared__ float largest[kPeakThreads];
  __shared__ unsigned long long last[kPeakThreads];
  const float* mag = magnitude + blockIdx.x * n;
  float best = 0.0f;
  for (size_t i = threadIdx.x; i < n; i += blockDim.x) best = fmaxf(best, pghi::peak_candidate(mag[i]));
  largest[threadIdx.x] = best;
  __syncthreads();
  for (unsigned s = kPeakThreads / 2; s > 0; s /= 2) {  // launched with kPeakThreads, a power of two
    if (threadIdx.x < s) largest[threadIdx.x] = fmaxf(largest[threadIdx.x], largest[threadIdx.x + s]);
    __syncthreads();
  }
  const float top = largest[0];
  unsigned long long mine = n;
  for (size_t i = threadIdx.x; i < n; i += blockDim.x)
    if (mag[i] == top) mine = (mine == n || i > mine) ? i : mine;
  last[threadIdx.x] = mine;
  __syncthreads();
  for (unsigned s = kPeakThreads / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) {
      const unsigned long long a = last[threadIdx.x], b = last[threadIdx.x + s];
      last[threadIdx.x] = a == n ? b : b == n ? a : (a > b ? a : b);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const bool none = top < FLT_MIN;
    peaks[blockIdx.x] = {none ? n : last[0], none ? 0.0 : tolerance * double(top)};
  }
}

__global__ void cells_kernel(const float* magnitude, size_t notes, int frames, int bins, pghi::Scales scales, const NotePeak* peaks,
                             pghi::Cell* cells) {
  const size_t width = size_t(bins) + 2, padded = size_t(frames + 2) * width;
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * padded) return;
  const size_t note = i / padded, at = i % padded;
  const int t = int(at / width) - 1, m = int(at % width) - 1;
  // The border; and every cell of a note with nothing above 0 (never integrated: its phase is 0).
  if (t < 0 || t >= frames || m < 0 || m >= bins || peaks[note].peak >= size_t(frames) * bins) {
    cells[i] = pghi::Cell{};
    return;
  }
  const float* mag = magnitude + note * size_t(frames) * bins;
  cells[i] = pghi::cell_at(mag, frames, bins, t, m, peaks[note].floor, scales);
}

__global__ void integrate_kernel(size_t notes, int frames, int bins, const NotePeak* peaks, pghi::Cell* cells, uint64_t* heap,
                                 uint64_t* seeds) {
  const size_t note = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (note >= notes) return;
  const size_t n = size_t(frames) * bins, width = size_t(bins) + 2, padded = size_t(frames + 2) * width;
  const size_t peak = size_t(peaks[note].peak);
  if (peak >= n) return;
  pghi::integrate(cells + note * padded, padded, width, pghi::padded_index(peak, bins), heap + note * n, seeds + note * n);
}

__global__ void phase_kernel(const pghi::Cell* cells, size_t notes, int frames, int bins, const NotePeak* peaks, float* phase) {
  const size_t n = size_t(frames) * bins;
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= notes * n) return;
  const size_t note = i / n, at = i % n;
  if (peaks[note].peak >= n) {  // nothing above 0: phase 0 everywhere, as the CPU path
    phase[i] = 0.0f;
    return;
  }
  const size_t padded = size_t(frames + 2) * size_t(bins + 2);
  phase[i] = pghi::wrap_phase(cells[note * padded + pghi::padded_index(at, bins)].ph + M_PI * double(at % size_t(bins)));
}

}  // namespace

void launch_pghi(const float* magnitude, size_t notes, int frames, int bins, int fft_size, int hop, double gamma, double tolerance,
                 const PghiDeviceScratch& scratch, float* phase, void* stream) {
  if (notes == 0 || frames <= 0 || bins <= 0) return;
  if ((uint64_t(frames) + 2) * (uint64_t(bins) + 2) >= (uint64_t(1) << 32))
    throw Error("frames", "PGHI takes up to 2^32 coefficients, got " + std::to_string(frames) + " frames");
  auto s = static_cast<cudaStream_t>(stream);
  NotePeak* peaks = scratch.peaks;
  auto* cells = static_cast<pghi::Cell*>(scratch.cells);
  const size_t n = size_t(frames) * bins;
  peak_kernel<<<unsigned(notes), kPeakThreads, 0, s>>>(magnitude, n, tolerance, peaks);
  TIMBREL_CUDA_CHECK_LAUNCH();
  const size_t padded = notes * size_t(frames + 2) * size_t(bins + 2);
  cells_kernel<<<blocks_for(padded), kThreads, 0, s>>>(magnitude, notes, frames, bins, pghi::scales_for(fft_size, hop, gamma), peaks, cells);
  TIMBREL_CUDA_CHECK_LAUNCH();
  constexpr unsigned kNotesPerBlock = 32;  // one thread a note: the integration is sequential
  integrate_kernel<<<unsigned((notes + kNotesPerBlock - 1) / kNotesPerBlock), kNotesPerBlock, 0, s>>>(notes, frames, bins, peaks, cells,
                                                                                                    scratch.heap, scratch.seeds);
  TIMBREL_CUDA_CHECK_LAUNCH();
  phase_kernel<<<blocks_for(notes * n), kThreads, 0, s>>>(cells, notes, frames, bins, peaks, phase);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

}  // namespace timbrel::kernels
