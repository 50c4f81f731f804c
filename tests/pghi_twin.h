#pragma once
// The GPU path's PGHI (kernels/pghi.cu) run on the CPU, for test_pghi.cpp (sanitized too) and the
// device table: the same spectral/pghi_ops.h functions the kernels call.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "spectral/phase_reconstruction.h"
#include "spectral/pghi_ops.h"

namespace timbrel::test {

// PGHI as kernels/pghi.cu computes it, on the CPU: every cell from pghi::cell_at, the peak as its
// reduction finds it (the last of the largest), pghi::integrate's binary heaps, then the wrap.
inline std::vector<float> pghi_with_device_algorithm(const std::vector<float>& mag, int frames, int bins, int fft_size, int hop,
                                                     double tolerance) {
  const size_t n = mag.size(), width = size_t(bins) + 2;
  std::vector<float> phase(n, 0.0f);
  float largest = 0.0f;
  for (float v : mag) largest = std::max(largest, pghi::peak_candidate(v));
  if (largest < std::numeric_limits<float>::min()) return phase;
  size_t peak = 0;
  for (size_t i = 0; i < n; ++i)
    if (mag[i] == largest) peak = i;
  const pghi::Scales scales = pghi::scales_for(fft_size, hop, hann_pghi_gamma(fft_size));
  std::vector<pghi::Cell> cells(size_t(frames + 2) * width);
  for (int t = 0; t < frames; ++t)
    for (int m = 0; m < bins; ++m)
      cells[size_t(t + 1) * width + size_t(m + 1)] = pghi::cell_at(mag.data(), frames, bins, t, m, tolerance * double(largest), scales);
  std::vector<uint64_t> heap(n), seeds(n);
  pghi::integrate(cells.data(), cells.size(), width, pghi::padded_index(peak, bins), heap.data(), seeds.data());
  for (size_t i = 0; i < n; ++i) phase[i] = pghi::wrap_phase(cells[pghi::padded_index(i, bins)].ph + M_PI * double(i % size_t(bins)));
  return phase;
}

// Phases of that algorithm that are not bit-equal to pghi_phase's.
inline size_t pghi_device_algorithm_differences(const std::vector<float>& mag, int frames, int bins, int fft_size, int hop, double tolerance) {
  std::vector<float> cpu(mag.size());
  pghi_phase(mag.data(), frames, bins, fft_size, hop, hann_pghi_gamma(fft_size), cpu.data(), tolerance);
  const std::vector<float> twin = pghi_with_device_algorithm(mag, frames, bins, fft_size, hop, tolerance);
  size_t differing = 0;
  for (size_t i = 0; i < cpu.size(); ++i) differing += std::memcmp(&cpu[i], &twin[i], sizeof(float)) != 0;
  return differing;
}

}  // namespace timbrel::test
