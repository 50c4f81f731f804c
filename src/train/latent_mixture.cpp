// EM for a mixture of diagonal Gaussians (Bishop, PRML 9.2), log-sum-exp in the E step.
#include "train/latent_mixture.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace timbrel::train {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;

MixtureComponent moments(const std::vector<double>& x, size_t n, size_t dims) {
  MixtureComponent c{1.0, std::vector<double>(dims, 0.0), std::vector<double>(dims, 0.0)};
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dims; ++k) c.mean[k] += x[i * dims + k] / double(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < dims; ++k) c.variance[k] += (x[i * dims + k] - c.mean[k]) * (x[i * dims + k] - c.mean[k]) / double(n);
  return c;
}

double component_log_density(const MixtureComponent& c, const double* point, size_t dims) {
  double l = std::log(c.weight);
  for (size_t k = 0; k < dims; ++k) {
    const double d = point[k] - c.mean[k];
    l -= 0.5 * (kLog2Pi + std::log(c.variance[k]) + d * d / c.variance[k]);
  }
  return l;
}

double squared_distance(const double* a, const double* b, size_t dims) {
  double s = 0;
  for (size_t k = 0; k < dims; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}

// k-means++ seeding: each next centre a point drawn in proportion to its squared distance to the
// nearest centre so far (spread-out starts; EM from close starts splits one cluster in two).
std::vector<MixtureComponent> seeded(const std::vector<double>& x, size_t n, size_t dims, const MixtureComponent& all, int k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<MixtureComponent> out;
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  size_t pick = size_t(rng() % n);
  for (int c = 0; c < k; ++c) {
    out.push_back({1.0 / k, std::vector<double>(x.begin() + long(pick * dims), x.begin() + long((pick + 1) * dims)), all.variance});
    for (size_t i = 0; i < n; ++i) nearest[i] = std::min(nearest[i], squared_distance(&x[i * dims], out.back().mean.data(), dims));
    std::discrete_distribution<size_t> next(nearest.begin(), nearest.end());
    pick = next(rng);
  }
  return out;
}

// E step: responsibilities r[i][c]; returns the mean log-likelihood per point.
double expectation(const std::vector<MixtureComponent>& m, const std::vector<double>& x, size_t n, size_t dims, std::vector<double>& r) {
  const size_t k = m.size();
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    double top = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) top = std::max(top, r[i * k + c] = component_log_density(m[c], &x[i * dims], dims));
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += r[i * k + c] = std::exp(r[i * k + c] - top);
    for (size_t c = 0; c < k; ++c) r[i * k + c] /= sum;
    total += top + std::log(sum);
  }
  return total / double(n);
}

// M step: weights, means and floored variances from the responsibilities.
void maximization(std::vector<MixtureComponent>& m, const std::vector<double>& x, size_t n, size_t dims, const std::vector<double>& r,
                  const std::vector<double>& floor) {
  const size_t k = m.size();
  for (size_t c = 0; c < k; ++c) {
    double mass = 0;
    std::vector<double> mean(dims, 0.0), square(dims, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double w = r[i * k + c];
      mass += w;
      for (size_t d = 0; d < dims; ++d) mean[d] += w * x[i * dims + d], square[d] += w * x[i * dims + d] * x[i * dims + d];
    }
    if (mass < 1e-9) continue;  // an emptied component keeps its place; its weight goes to ~0
    m[c].weight = std::max(mass / double(n), 1e-12);
    for (size_t d = 0; d < dims; ++d) {
      m[c].mean[d] = mean[d] / mass;
      m[c].variance[d] = std::max(square[d] / mass - m[c].mean[d] * m[c].mean[d], floor[d]);
    }
  }
}

}  // namespace

std::vector<MixtureComponent> fit_mixture(const std::vector<double>& x, size_t n, size_t dims, const MixtureFit& o) {
  const MixtureComponent all = moments(x, n, dims);
  std::vector<double> floor(dims);
  for (size_t d = 0; d < dims; ++d) floor[d] = std::max(o.variance_floor * all.variance[d], 1e-12);
  if (o.components <= 1 || n < 2 * size_t(o.components)) {
    MixtureComponent one = all;
    for (size_t d = 0; d < dims; ++d) one.variance[d] = std::max(one.variance[d], floor[d]);
    return {one};
  }
  std::vector<MixtureComponent> m = seeded(x, n, dims, all, o.components, o.seed);
  std::vector<double> r(n * m.size());
  double previous = -std::numeric_limits<double>::infinity();
  for (int it = 0; it < o.max_iterations; ++it) {
    const double ll = expectation(m, x, n, dims, r);
    if (ll - previous < o.tolerance) break;
    previous = ll;
    maximization(m, x, n, dims, r, floor);
  }
  return m;
}

double mixture_log_likelihood(const std::vector<MixtureComponent>& mixture, const std::vector<double>& x, size_t n, size_t dims) {
  std::vector<double> r(n * mixture.size());
  return expectation(mixture, x, n, dims, r);
}

}  // namespace timbrel::train
