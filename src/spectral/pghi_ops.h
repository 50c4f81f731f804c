#pragma once
// PGHI's arithmetic and its heap integration, shared by the CPU path (phase_reconstruction.cpp,
// which orders the heap with a faster bucketed queue) and the GPU path (kernels/pghi.cu, one thread
// per note with the plain binary heap below). Both visit the coefficients in the same order, so
// they give the same phases.
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "spectral/hd.h"

namespace timbrel::pghi {

// One coefficient's integration state. The grid is padded by a done border, so neighbours need no
// bounds checks.
struct alignas(32) Cell {
  double dt = 0, dw = 0, ph = 0;  // phase change per hop and per bin; the integrated phase
  float mag = 0;
  int32_t done = 1;
};

// The constants of the phase derivatives for a window (hop a, FFT size M, Gaussian-equivalent gamma).
struct Scales {
  double hop = 0, fft_size = 0, time_scale = 0, freq_scale = 0;
};
inline Scales scales_for(int fft_size, int hop, double gamma) {
  const double a = hop, M = fft_size;
  return {a, M, a * M / gamma, -gamma / (a * M)};
}

// Coefficients that get an integrated phase: finite, positive and at or above the floor.
TIMBREL_HD bool above(float mag, double floor) { return mag >= floor && mag > 0.0f && mag <= FLT_MAX; }

// Log magnitude, floored at `low` (NaN too gets the low).
TIMBREL_HD double floored_log(float mag, double low) { return log(mag >= low ? double(mag) : low); }

// Centred difference (one-sided at an edge; none on a one-wide axis). Halving by * 0.5 is exact.
TIMBREL_HD double difference(double x0, double x1, int span) { return span == 2 ? (x1 - x0) * 0.5 : span == 1 ? x1 - x0 : 0.0; }

TIMBREL_HD double bin_phase(const Scales& s, int m) { return 2.0 * M_PI * s.hop * m / s.fft_size; }

// Coefficient (t, m)'s cell, from the [frames][bins] magnitudes; floor = tolerance * largest.
TIMBREL_HD Cell cell_at(const float* mag, int frames, int bins, int t, int m, double floor, const Scales& s) {
  Cell c{0, 0, 0, mag[size_t(t) * bins + m], 1};
  if (!above(c.mag, floor)) return c;
  c.done = 0;
  const double low = floor * 1e-3;
  const int m0 = m > 0 ? m - 1 : 0, m1 = m + 1 < bins ? m + 1 : bins - 1;
  const int t0 = t > 0 ? t - 1 : 0, t1 = t + 1 < frames ? t + 1 : frames - 1;
  const float* row = mag + size_t(t) * bins;
  c.dt = s.time_scale * difference(floored_log(row[m0], low), floored_log(row[m1], low), m1 - m0) + bin_phase(s, m);
  c.dw = s.freq_scale * difference(floored_log(mag[size_t(t0) * bins + m], low), floored_log(mag[size_t(t1) * bins + m], low), t1 - t0);
  return c;
}

// Coefficient i of a [frames][bins] grid in the grid padded by one cell on every side.
TIMBREL_HD size_t padded_index(size_t i, int bins) { return (i / size_t(bins) + 1) * (size_t(bins) + 2) + i % size_t(bins) + 1; }

// A heap key: magnitude bits over the padded index. Magnitudes integrated are positive, so their
// bits order as the floats do, and equal magnitudes go to the larger index.
TIMBREL_HD uint64_t key(const Cell& c, size_t index) {
#if defined(__CUDA_ARCH__)
  const uint32_t bits = uint32_t(__float_as_int(c.mag));
#else
  uint32_t bits;
  std::memcpy(&bits, &c.mag, sizeof bits);
#endif
  return (uint64_t(bits) << 32) | uint64_t(index);
}

// x - 2 pi round(x / 2 pi), as std::remainder(x, 2 pi) but with no division: 2 pi split in two
// (Cody-Waite) so that turns * hi is exact up to 2^20 turns (a note reaches 2^15).
TIMBREL_HD float wrap_phase(double x) {
  const double two_pi_hi = 6.2831853069365025;  // 2 pi with its last 20 bits zero
  const double two_pi_lo = 2.0 * M_PI - two_pi_hi;
  const double round = 6755399441055744.0;  // 1.5 * 2^52: adding and subtracting rounds to an integer
  const double turns = (x * (1.0 / (2.0 * M_PI)) + round) - round;
  return float((x - turns * two_pi_hi) - turns * two_pi_lo);
}

// A binary max-heap of keys in heap[0, size).
TIMBREL_HD void heap_push(uint64_t* heap, size_t& size, uint64_t k) {
  size_t i = size++;
  while (i > 0 && heap[(i - 1) / 2] < k) heap[i] = heap[(i - 1) / 2], i = (i - 1) / 2;
  heap[i] = k;
}
TIMBREL_HD uint64_t heap_pop(uint64_t* heap, size_t& size) {
  const uint64_t top = heap[0], last = heap[--size];
  size_t i = 0;
  for (size_t child; (child = 2 * i + 1) < size; i = child) {
    if (child + 1 < size && heap[child + 1] > heap[child]) ++child;
    if (heap[child] <= last) break;
    heap[i] = heap[child];
  }
  if (size > 0) heap[i] = last;
  return top;
}

// Integrates from padded cell `start` outwards, always continuing from the largest coefficient
// reached. `heap` holds as many keys as there are cells above the floor.
TIMBREL_HD void flood(Cell* cells, size_t width, size_t start, uint64_t* heap) {
  size_t size = 0;
  cells[start].done = 1;
  cells[start].ph = 0.0;
  heap_push(heap, size, key(cells[start], start));
  while (size > 0) {
    const size_t i = size_t(heap_pop(heap, size) & 0xffffffffu);
    const Cell c = cells[i];
    const size_t next[4] = {i + width, i - width, i + 1, i - 1};
    for (int d = 0; d < 4; ++d) {
      Cell& n = cells[next[d]];
      if (n.done) continue;
      const double step = d == 0 ? 0.5 * (c.dt + n.dt) : d == 1 ? -0.5 * (c.dt + n.dt) : d == 2 ? 0.5 * (c.dw + n.dw) : -0.5 * (c.dw + n.dw);
      n.ph = c.ph + step;
      n.done = 1;
      heap_push(heap, size, key(n, next[d]));
    }
  }
}

// Every coefficient above the floor: from the largest (padded index `peak`), then from the largest
// of what that did not reach, and so on. `count` cells in all; `heap` and `seeds` each hold as many
// keys as there are cells above the floor (at most frames * bins).
TIMBREL_HD void integrate(Cell* cells, size_t count, size_t width, size_t peak, uint64_t* heap, uint64_t* seeds) {
  if (!cells[peak].done) flood(cells, width, peak, heap);
  size_t left = 0;
  for (size_t i = 0; i < count; ++i)
    if (!cells[i].done) heap_push(seeds, left, key(cells[i], i));
  while (left > 0) {
    const size_t s = size_t(heap_pop(seeds, left) & 0xffffffffu);
    if (!cells[s].done) flood(cells, width, s, heap);
  }
}

// The value a magnitude takes in the search for the note's largest (non-finite ones count as 0).
TIMBREL_HD float peak_candidate(float mag) { return mag <= FLT_MAX ? mag : 0.0f; }

}  // namespace timbrel::pghi
