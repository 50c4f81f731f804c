// The optimised PGHI against the textbook heap integration it replaced (Prusa et al. 2017, as first
// written here): the same coefficients in the same order, so the same phases. Only the final wrap
// to [-pi, pi] differs, by rounding: angles are compared modulo 2 pi.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <random>
#include <vector>

#include "spectral/gansynth_contract.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/phase_reconstruction.h"
#include "pghi_twin.h"
#include "spectral_test_data.h"
#include "timbrel/spectral.h"

using namespace timbrel;
using namespace timbrel::test;

namespace {

// One sort of all coefficients for the seeds, a std::priority_queue of (magnitude, index).
std::vector<float> textbook_pghi(const std::vector<float>& mag, int frames, int bins, double tolerance) {
  if (*std::max_element(mag.begin(), mag.end()) <= 0.0f) return std::vector<float>(mag.size(), 0.0f);
  const size_t n = mag.size();
  const double a = 512, M = 2048, gamma = hann_pghi_gamma(2048);
  const float max_mag = *std::max_element(mag.begin(), mag.end());
  const double floor = tolerance * max_mag;
  std::vector<double> logs(n), dt(n), dw(n), ph(n, 0.0);
  for (size_t i = 0; i < n; ++i) logs[i] = std::log(std::max(double(mag[i]), floor * 1e-3));
  auto L = [&](int t, int m) { return logs[size_t(t) * bins + m]; };
  for (int t = 0; t < frames; ++t)
    for (int m = 0; m < bins; ++m) {
      const int m0 = std::max(m - 1, 0), m1 = std::min(m + 1, bins - 1);
      const int t0 = std::max(t - 1, 0), t1 = std::min(t + 1, frames - 1);
      const double dlog_dm = m1 > m0 ? (L(t, m1) - L(t, m0)) / (m1 - m0) : 0.0;
      const double dlog_dt = t1 > t0 ? (L(t1, m) - L(t0, m)) / (t1 - t0) : 0.0;
      dt[size_t(t) * bins + m] = a * M / gamma * dlog_dm + 2.0 * M_PI * a * m / M;
      dw[size_t(t) * bins + m] = -gamma / (a * M) * dlog_dt;
    }
  std::vector<char> done(n);
  for (size_t i = 0; i < n; ++i) done[i] = mag[i] < floor;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  // Ties to the larger index, as the heap breaks them.
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return mag[x] > mag[y] || (mag[x] == mag[y] && x > y); });
  std::priority_queue<std::pair<float, size_t>> heap;
  for (size_t s : order) {
    if (done[s]) continue;
    done[s] = 1;
    heap.push({mag[s], s});
    while (!heap.empty()) {
      const size_t i = heap.top().second;
      heap.pop();
      const int t = int(i / size_t(bins)), m = int(i % size_t(bins));
      auto visit = [&](size_t j, double step) {
        if (done[j]) return;
        ph[j] = ph[i] + step;
        done[j] = 1;
        heap.push({mag[j], j});
      };
      if (t + 1 < frames) visit(i + bins, 0.5 * (dt[i] + dt[i + bins]));
      if (t > 0) visit(i - bins, -0.5 * (dt[i] + dt[i - bins]));
      if (m + 1 < bins) visit(i + 1, 0.5 * (dw[i] + dw[i + 1]));
      if (m > 0) visit(i - 1, -0.5 * (dw[i] + dw[i - 1]));
    }
  }
  std::vector<float> phase(n);
  for (size_t i = 0; i < n; ++i) phase[i] = float(std::remainder(ph[i] + M_PI * int(i % size_t(bins)), 2.0 * M_PI));
  return phase;
}

// The magnitudes the product integrates: a note's mel spectrogram decoded to linear bins.
std::vector<float> decoded_magnitudes(const std::string& name) {
  auto spec = audio_to_spectrogram(load_note(name), SpectralScale::Mel);
  const size_t n = size_t(gansynth::kFrames) * gansynth::kStftBins;
  std::vector<float> mag(n), phase(n);
  gansynth::decode_polar(spec.data(), gansynth::kFrames, mag.data(), phase.data(), SpectralScale::Mel,
                         SpectralCompat::Exact);
  return mag;
}

// Phases that differ by more than float rounding (a float ulp at pi is 2.4e-7), modulo 2 pi.
size_t differing_phases(const std::vector<float>& mag, int frames, int bins, double tolerance) {
  std::vector<float> ours(mag.size());
  pghi_phase(mag.data(), frames, bins, 2048, 512, hann_pghi_gamma(2048), ours.data(), tolerance);
  const auto ref = textbook_pghi(mag, frames, bins, tolerance);
  size_t differing = 0;
  for (size_t i = 0; i < ours.size(); ++i) differing += std::abs(std::remainder(double(ours[i]) - ref[i], 2.0 * M_PI)) > 5e-7;
  return differing;
}

size_t device_algorithm_differences(const std::vector<float>& mag, int frames, int bins, double tolerance) {
  return pghi_device_algorithm_differences(mag, frames, bins, 2048, 512, tolerance);
}

}  // namespace

TEST(Pghi, TheGpuPathsAlgorithmGivesTheSamePhasesBitForBit) {
  // kernels/pghi.cu's order (one binary heap, seeds from a second) against the CPU's bucketed
  // queue: the same visits, so the same bits. With a GPU, SpectralKernels.* run the kernels.
  const int frames = gansynth::kFrames, bins = gansynth::kStftBins;
  for (const std::string& name : note_names())
    for (double tolerance : {1e-10, kPghiTolerance, 1e-2}) {
      EXPECT_EQ(device_algorithm_differences(decoded_magnitudes(name), frames, bins, tolerance), 0u) << name << " " << tolerance;
      EXPECT_EQ(device_algorithm_differences(exact_magnitudes(load_note(name)), frames, bins, tolerance), 0u) << name << " " << tolerance;
    }
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> level(0.0f, 1.0f);
  for (auto [f, b] : {std::pair{7, 9}, std::pair{1, 33}, std::pair{40, 1}, std::pair{1, 1}}) {
    std::vector<float> mag(size_t(f) * b);
    for (float& v : mag) v = std::round(level(rng) * 4.0f) / 4.0f;  // ties and zeros
    EXPECT_EQ(device_algorithm_differences(mag, f, b, 1e-4), 0u) << f << "x" << b;
  }
  auto broken = decoded_magnitudes("violin_e4");
  broken[100] = -std::numeric_limits<float>::quiet_NaN(), broken[5000] = std::numeric_limits<float>::quiet_NaN(), broken[70000] = -1.0f;
  EXPECT_EQ(device_algorithm_differences(broken, frames, bins, kPghiTolerance), 0u);
  EXPECT_EQ(device_algorithm_differences(std::vector<float>(20, 0.0f), 4, 5, kPghiTolerance), 0u);  // silence: 0 everywhere
}

TEST(Pghi, EqualsTheTextbookIntegration) {
  const int frames = gansynth::kFrames, bins = gansynth::kStftBins;
  for (const std::string& name : note_names())
    for (double tolerance : {1e-10, 1e-4, 1e-2}) {  // 1e-2 leaves islands: many seeds
      EXPECT_EQ(differing_phases(decoded_magnitudes(name), frames, bins, tolerance), 0u) << name << " " << tolerance;
      // Exact magnitudes reach DC (decoded ones have it at 0) and the top bin.
      EXPECT_EQ(differing_phases(exact_magnitudes(load_note(name)), frames, bins, tolerance), 0u) << name << " " << tolerance;
    }
}

TEST(Pghi, SmallAndDegenerateGridsAfterALargeOne) {
  // The per-thread scratch shrinks from a note to these; ties (equal magnitudes) go as in the heap.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> level(0.0f, 1.0f);
  for (auto [frames, bins] : {std::pair{7, 9}, std::pair{1, 33}, std::pair{40, 1}, std::pair{1, 1}}) {
    differing_phases(decoded_magnitudes("piano_c4"), gansynth::kFrames, gansynth::kStftBins, 1e-4);
    std::vector<float> mag(size_t(frames) * bins);
    for (float& v : mag) v = std::round(level(rng) * 4.0f) / 4.0f;  // many exact ties, some zeros
    EXPECT_EQ(differing_phases(mag, frames, bins, 1e-4), 0u) << frames << "x" << bins;
  }
}

TEST(Pghi, SilenceAndEmptyGiveZeroPhase) {
  std::vector<float> mag(size_t(4) * 5, 0.0f), phase(mag.size(), 1.0f);
  pghi_phase(mag.data(), 4, 5, 8, 2, hann_pghi_gamma(8), phase.data());
  for (float p : phase) EXPECT_EQ(p, 0.0f);
  pghi_phase(nullptr, 0, 5, 8, 2, hann_pghi_gamma(8), nullptr);
}

TEST(Pghi, NanAndNegativeMagnitudesAreLeftAtPhaseZero) {
  // A broken spectrogram must not crash the heap (a negative NaN's bits would fall outside it).
  auto mag = decoded_magnitudes("violin_e4");
  const size_t bad[] = {100, 5000, 70000};
  mag[bad[0]] = -std::numeric_limits<float>::quiet_NaN();
  mag[bad[1]] = std::numeric_limits<float>::quiet_NaN();
  mag[bad[2]] = -1.0f;
  std::vector<float> phase(mag.size());
  pghi_phase(mag.data(), gansynth::kFrames, gansynth::kStftBins, 2048, 512, hann_pghi_gamma(2048), phase.data());
  for (size_t i : bad) EXPECT_NEAR(std::remainder(double(phase[i]) - M_PI * double(i % gansynth::kStftBins), 2 * M_PI), 0.0, 1e-5) << i;
  for (float p : phase) ASSERT_TRUE(std::isfinite(p));
}
