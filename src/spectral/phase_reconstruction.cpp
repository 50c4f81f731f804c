#include "spectral/phase_reconstruction.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "spectral/fast_math.h"
#include "spectral/pghi_ops.h"
#include "timbrel/error.h"

namespace timbrel {

double hann_pghi_gamma(int fft_size) { return 0.25645 * double(fft_size) * fft_size; }

namespace {

// A max-priority queue of (magnitude bits, index) packed in one integer (pghi::key): magnitudes are
// positive, so their bits order as the floats do, and ties go to the larger index as std::pair's
// would. Keys are bucketed by their top 16 bits (magnitudes within 1%), a two-level bitmap finds
// the largest occupied bucket, and each bucket is a small binary heap: the exact order of one big
// heap at a fraction of its cache misses.
class BucketedMaxQueue {
 public:
  bool empty() const { return occupied_ == 0; }
  // Empties every occupied bucket (after an exception mid-integration, say).
  void clear() {
    for (uint32_t w = 0; w < kBuckets / 64; ++w)
      for (uint64_t bits = words_[w]; bits; bits &= bits - 1) buckets_[w * 64 + uint32_t(__builtin_ctzll(bits))].clear();
    std::fill(std::begin(words_), std::end(words_), 0);
    std::fill(std::begin(summary_), std::end(summary_), 0);
    occupied_ = 0;
  }
  void push(uint64_t k) {
    const uint32_t b = uint32_t(k >> 48);
    auto& bucket = buckets_[b];
    if (bucket.empty()) mark(b);
    bucket.push_back(k);
    std::push_heap(bucket.begin(), bucket.end());
  }
  uint64_t top() const { return buckets_[top_bucket()].front(); }
  uint64_t pop() {
    const uint32_t b = top_bucket();
    auto& bucket = buckets_[b];
    std::pop_heap(bucket.begin(), bucket.end());
    const uint64_t k = bucket.back();
    bucket.pop_back();
    if (bucket.empty()) unmark(b);
    return k;
  }

 private:
  static constexpr uint32_t kBuckets = 1u << 15;  // the sign bit is always 0
  void mark(uint32_t b) {
    ++occupied_;
    words_[b >> 6] |= uint64_t(1) << (b & 63);
    summary_[b >> 12] |= uint64_t(1) << ((b >> 6) & 63);
  }
  void unmark(uint32_t b) {
    --occupied_;
    words_[b >> 6] &= ~(uint64_t(1) << (b & 63));
    if (words_[b >> 6] == 0) summary_[b >> 12] &= ~(uint64_t(1) << ((b >> 6) & 63));
  }
  uint32_t top_bucket() const {
    int s = kSummaryWords - 1;
    while (summary_[s] == 0) --s;
    const uint32_t word = uint32_t(s) * 64 + uint32_t(63 - __builtin_clzll(summary_[s]));
    return word * 64 + uint32_t(63 - __builtin_clzll(words_[word]));
  }
  static constexpr int kSummaryWords = kBuckets / 64 / 64;
  std::vector<std::vector<uint64_t>> buckets_ = std::vector<std::vector<uint64_t>>(kBuckets);
  uint64_t words_[kBuckets / 64] = {};
  uint64_t summary_[kSummaryWords] = {};
  size_t occupied_ = 0;
};

using PghiCell = pghi::Cell;  // padded by a done border, so neighbours need no bounds checks

struct PghiGrid {
  int frames = 0, bins = 0;
  size_t width = 0;  // bins + 2
  std::vector<PghiCell> cells;
  size_t at(int t, int m) const { return size_t(t + 1) * width + size_t(m + 1); }
};

// Reused per thread: a note's PGHI needs ~5 MB of scratch, and fresh pages cost more than the work.
struct PghiScratch {
  PghiGrid grid;
  std::vector<double> logs, bin_phase;
  std::vector<char> above;  // finite, positive and at or above the floor: the keys that order
  BucketedMaxQueue queue;
  std::vector<uint32_t> seeds;
  size_t remaining = 0;  // coefficients above the floor not integrated yet
};

// Floored log magnitudes where a derivative reads them: coefficients above the floor and their
// four neighbours (the rest are never integrated; log is the costliest step of the setup).
void needed_logs(const float* mag, int frames, int bins, double floor, PghiScratch& s) {
  const size_t n = size_t(frames) * bins;
  s.above.resize(n);
  s.logs.resize(n);
  for (size_t i = 0; i < n; ++i) s.above[i] = pghi::above(mag[i], floor);
  const double low = floor * 1e-3;
  for (int t = 0; t < frames; ++t) {
    const char* here = &s.above[size_t(t) * bins];
    const char* prev = t > 0 ? here - bins : here;
    const char* next = t + 1 < frames ? here + bins : here;
    for (int m = 0; m < bins; ++m) {
      const bool needed = here[m] | prev[m] | next[m] | (m > 0 && here[m - 1]) | (m + 1 < bins && here[m + 1]);
      const size_t i = size_t(t) * bins + m;
      if (needed) s.logs[i] = pghi::floored_log(mag[i], low);
    }
  }
}

// The padded grid: magnitudes, done flags (coefficients below the floor and the border start done,
// phase 0) and, where integrated, the phase change per hop (dt) and per bin (dw) from centred
// differences of log magnitude (one-sided at the edges), for frames centred on the window: the
// arithmetic of pghi::cell_at, with each log taken once.
void build_grid(const float* mag, int fft_size, int hop, double gamma, PghiScratch& s) {
  PghiGrid& g = s.grid;
  const int frames = g.frames, bins = g.bins;
  const pghi::Scales scales = pghi::scales_for(fft_size, hop, gamma);
  s.bin_phase.resize(size_t(bins));
  for (int m = 0; m < bins; ++m) s.bin_phase[size_t(m)] = pghi::bin_phase(scales, m);
  g.cells.resize(size_t(frames + 2) * g.width);
  std::fill(g.cells.begin(), g.cells.begin() + long(g.width), PghiCell{});
  std::fill(g.cells.end() - long(g.width), g.cells.end(), PghiCell{});
  s.remaining = 0;
  for (int t = 0; t < frames; ++t) {
    const double* row = &s.logs[size_t(t) * bins];
    const double* prev = &s.logs[size_t(std::max(t - 1, 0)) * bins];
    const double* next = &s.logs[size_t(std::min(t + 1, frames - 1)) * bins];
    const int t_span = std::min(t + 1, frames - 1) - std::max(t - 1, 0);
    const char* above = &s.above[size_t(t) * bins];
    PghiCell* cell = &g.cells[g.at(t, 0)];
    cell[-1] = cell[bins] = PghiCell{};
    for (int m = 0; m < bins; ++m) {
      cell[m] = PghiCell{0, 0, 0, mag[size_t(t) * bins + m], !above[m]};
      if (!above[m]) continue;
      ++s.remaining;
      const int m0 = std::max(m - 1, 0), m1 = std::min(m + 1, bins - 1);
      cell[m].dt = scales.time_scale * pghi::difference(row[m0], row[m1], m1 - m0) + s.bin_phase[size_t(m)];
      cell[m].dw = scales.freq_scale * pghi::difference(prev[m], next[m], t_span);
    }
  }
}

// Integrates from cell s outwards, always continuing from the largest coefficient reached. Padded
// indices order as the unpadded ones, so ties between equal magnitudes break as before. The largest
// newly reached neighbour is held back from the queue: along a ridge it is the next to continue
// from, and comparing it with the queue's top saves a push and a pop.
void integrate_from(size_t s, PghiScratch& sc) {
  auto& cells = sc.grid.cells;
  auto& queue = sc.queue;
  const size_t w = sc.grid.width;
  cells[s].done = 1;
  cells[s].ph = 0.0;
  --sc.remaining;
  uint64_t held = pghi::key(cells[s], s);
  bool holding = true;
  while (holding || !queue.empty()) {
    uint64_t k = held;
    if (!holding || (!queue.empty() && queue.top() > held)) {
      if (holding) queue.push(held);
      k = queue.pop();
      if (!queue.empty()) __builtin_prefetch(&cells[size_t(queue.top() & 0xffffffffu)]);  // likely next, far away
    }
    holding = false;
    const size_t i = size_t(k & 0xffffffffu);
    const PghiCell& c = cells[i];
    auto visit = [&](size_t j, double step) {
      PghiCell& n = cells[j];
      if (n.done) return;
      n.ph = c.ph + step;
      n.done = 1;
      --sc.remaining;
      uint64_t reached = pghi::key(n, j);
      if (!holding) {
        held = reached;
        holding = true;
        return;
      }
      if (reached > held) std::swap(reached, held);
      queue.push(reached);
    };
    visit(i + w, 0.5 * (c.dt + cells[i + w].dt));
    visit(i - w, -0.5 * (c.dt + cells[i - w].dt));
    visit(i + 1, 0.5 * (c.dw + cells[i + 1].dw));
    visit(i - 1, -0.5 * (c.dw + cells[i - 1].dw));
  }
}

// Integrates every coefficient above the floor: from the largest, then from the largest of what
// that did not reach, and so on.
// Seeds are ordered by their queue keys, so tied magnitudes go to the larger index as in the queue.
void integrate_all(size_t peak, PghiScratch& s) {
  auto& cells = s.grid.cells;
  if (!cells[peak].done) integrate_from(peak, s);
  if (s.remaining == 0) return;
  s.seeds.clear();
  for (size_t i = 0; i < cells.size(); ++i)
    if (!cells[i].done) s.seeds.push_back(uint32_t(i));
  std::sort(s.seeds.begin(), s.seeds.end(),
            [&](uint32_t x, uint32_t y) { return pghi::key(cells[x], x) > pghi::key(cells[y], y); });
  for (uint32_t seed : s.seeds)
    if (!cells[seed].done) integrate_from(seed, s);
}

// The index of the largest finite magnitude above 0, the last of equals (as the queue orders
// ties); n when there is none.
size_t largest_magnitude(const float* mag, size_t n) {
  float largest = 0;  // a max reduction (vectorised), then the last index holding it
  for (size_t i = 0; i < n; ++i) largest = std::max(largest, pghi::peak_candidate(mag[i]));
  if (largest < FLT_MIN) return n;
  size_t peak = n;
  while (mag[--peak] != largest) {
  }
  return peak;
}

constexpr size_t kKeptCoefficients = size_t(1) << 20;

}  // namespace

void pghi_phase(const float* mag, int frames, int bins, int fft_size, int hop, double gamma, float* phase,
                double tolerance) {
  const size_t n = size_t(frames) * bins;
  std::fill(phase, phase + n, 0.0f);
  if (n == 0) return;
  if ((uint64_t(frames) + 2) * (uint64_t(bins) + 2) >= (uint64_t(1) << 32))
    throw Error("frames", "PGHI takes up to 2^32 coefficients, got " + std::to_string(frames) + " frames");
  const size_t peak = largest_magnitude(mag, n);
  if (peak == n) return;
  const double floor = tolerance * mag[peak];
  thread_local PghiScratch cached;  // a few notes' worth is kept; a long file's is freed after
  PghiScratch local;
  PghiScratch& s = n <= kKeptCoefficients ? cached : local;
  s.queue.clear();
  s.grid.frames = frames;
  s.grid.bins = bins;
  s.grid.width = size_t(bins) + 2;
  needed_logs(mag, frames, bins, floor, s);
  build_grid(mag, fft_size, hop, gamma, s);
  integrate_all(pghi::padded_index(peak, bins), s);
  // The derivatives assume frames centred on the window; ours start there: shift bin m by pi*m.
  for (int t = 0; t < frames; ++t) {
    const PghiCell* cell = &s.grid.cells[s.grid.at(t, 0)];
    for (int m = 0; m < bins; ++m) phase[size_t(t) * bins + m] = pghi::wrap_phase(cell[m].ph + M_PI * m);
  }
}

void random_phase(float* phase, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-M_PI, M_PI);
  for (size_t i = 0; i < count; ++i) phase[i] = float(d(rng));
}

namespace {

// c = mag * e^{i arg(v)}, v = t + momentum (t - t_prev); then t_prev = t. Plain float arithmetic
// on interleaved (re, im) pairs so that it vectorises.
__attribute__((target_clones("avx2", "default"))) void project(const float* __restrict t, float* __restrict t_prev,
                                                              const float* __restrict mag, float momentum,
                                                              float* __restrict c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float re = t[2 * i], im = t[2 * i + 1];
    const float vr = re + momentum * (re - t_prev[2 * i]), vi = im + momentum * (im - t_prev[2 * i + 1]);
    t_prev[2 * i] = re;
    t_prev[2 * i + 1] = im;
    const float r2 = vr * vr + vi * vi;
    const float scale = r2 > 0.0f ? mag[i] / std::sqrt(r2) : 0.0f;
    c[2 * i] = r2 > 0.0f ? vr * scale : mag[i];
    c[2 * i + 1] = vi * scale;
  }
}

}  // namespace

void fast_griffin_lim(const Stft& stft, const float* mag, int frames, float* phase, int iterations, float momentum,
                      float* signal) {
  const size_t n = size_t(frames) * stft.bins();
  std::vector<cfloat> c(n), t(n), t_prev(n);
  for (size_t i = 0; i < n; ++i) {
    float s, co;
    fastmath::sincos(phase[i], &s, &co);
    c[i] = cfloat(mag[i] * co, mag[i] * s);
  }
  auto as_floats = [](std::vector<cfloat>& v) { return reinterpret_cast<float*>(v.data()); };
  for (int it = 0; it < iterations; ++it) {
    stft.synthesize(c.data(), frames, signal);
    stft.analyze(signal, frames, t.data());
    if (it == 0) t_prev = t;  // no momentum on the first step
    project(as_floats(t), as_floats(t_prev), mag, momentum, as_floats(c), n);
  }
  for (size_t i = 0; i < n; ++i) phase[i] = std::atan2(c[i].imag(), c[i].real());
  stft.synthesize(c.data(), frames, signal);
}

double spectral_convergence(const Stft& stft, const float* mag, int frames, const float* signal) {
  const size_t n = size_t(frames) * stft.bins();
  std::vector<cfloat> spec(n);
  stft.analyze(signal, frames, spec.data());
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::abs(spec[i]) - double(mag[i]);
    num += d * d;
    den += double(mag[i]) * mag[i];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

}  // namespace timbrel
