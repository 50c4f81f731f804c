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

// A component's log weight and normalising constant, and its inverse variances: the E step's
// inner loop is then multiply-adds.
struct Prepared {
  double constant = 0;
  std::vector<double> inverse;
};

std::vector<Prepared> prepared(const std::vector<MixtureComponent>& m) {
  std::vector<Prepared> out(m.size());
  for (size_t c = 0; c < m.size(); ++c) {
    out[c].constant = std::log(m[c].weight);
    for (double v : m[c].variance) out[c].constant -= 0.5 * (kLog2Pi + std::log(v)), out[c].inverse.push_back(1.0 / v);
  }
  return out;
}

double component_log_density(const MixtureComponent& c, const Prepared& p, const double* point, size_t dims) {
  double q = 0;
  for (size_t k = 0; k < dims; ++k) {
    const double d = point[k] - c.mean[k];
    q += d * d * p.inverse[k];
  }
  return p.constant - 0.5 * q;
}

double squared_distance(const double* a, const double* b, size_t dims) {
  double s = 0;
  for (size_t k = 0; k < dims; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}

// k-means++ seeding: each next centre a point drawn in proportion to its squared distance to the
// nearest centre so far (spread-out starts; EM from close starts splits one cluster in two).
// Fewer than k when fewer distinct points remain.
std::vector<MixtureComponent> seeded(const std::vector<double>& x, size_t n, size_t dims, const std::vector<double>& variance, int k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<MixtureComponent> out;
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  size_t pick = size_t(rng() % n);
  while (true) {
    out.push_back({0.0, std::vector<double>(x.begin() + long(pick * dims), x.begin() + long((pick + 1) * dims)), variance});
    double spread = 0;
    for (size_t i = 0; i < n; ++i) spread += nearest[i] = std::min(nearest[i], squared_distance(&x[i * dims], out.back().mean.data(), dims));
    if (int(out.size()) == k || !(spread > 0)) break;
    std::discrete_distribution<size_t> next(nearest.begin(), nearest.end());
    pick = next(rng);
  }
  for (MixtureComponent& c : out) c.weight = 1.0 / double(out.size());
  return out;
}

// E step: responsibilities r[i][c]; returns the mean log-likelihood per point.
double expectation(const std::vector<MixtureComponent>& m, const std::vector<double>& x, size_t n, size_t dims, std::vector<double>& r) {
  const size_t k = m.size();
  const std::vector<Prepared> p = prepared(m);
  r.assign(n * k, 0.0);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    double top = -std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) top = std::max(top, r[i * k + c] = component_log_density(m[c], p[c], &x[i * dims], dims));
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += r[i * k + c] = std::exp(r[i * k + c] - top);
    for (size_t c = 0; c < k; ++c) r[i * k + c] /= sum;
    total += top + std::log(sum);
  }
  return total / double(n);
}

// M step: weights, means and floored variances (two passes) from the responsibilities. A
// component no point belongs to any more is dropped; the others' weights still sum to 1.
void maximization(std::vector<MixtureComponent>& m, const std::vector<double>& x, size_t n, size_t dims, const std::vector<double>& r,
                  const std::vector<double>& floor) {
  const size_t k = m.size();
  std::vector<MixtureComponent> kept;
  for (size_t c = 0; c < k; ++c) {
    double mass = 0;
    std::vector<double> mean(dims, 0.0), spread(dims, 0.0);
    for (size_t i = 0; i < n; ++i) {
      mass += r[i * k + c];
      for (size_t d = 0; d < dims; ++d) mean[d] += r[i * k + c] * x[i * dims + d];
    }
    if (!(mass > 1e-9)) continue;
    for (size_t d = 0; d < dims; ++d) mean[d] /= mass;
    for (size_t i = 0; i < n; ++i)
      for (size_t d = 0; d < dims; ++d) spread[d] += r[i * k + c] * (x[i * dims + d] - mean[d]) * (x[i * dims + d] - mean[d]);
    for (size_t d = 0; d < dims; ++d) spread[d] = std::max(spread[d] / mass, floor[d]);
    kept.push_back({mass, std::move(mean), std::move(spread)});
  }
  double total = 0;
  for (const MixtureComponent& c : kept) total += c.weight;
  for (MixtureComponent& c : kept) c.weight /= total;
  m = std::move(kept);
}

}  // namespace

std::vector<MixtureComponent> fit_mixture(const std::vector<double>& x, size_t n, size_t dims, const MixtureFit& o) {
  const MixtureComponent all = moments(x, n, dims);
  std::vector<double> floor(dims);
  for (size_t d = 0; d < dims; ++d) floor[d] = std::max(o.variance_floor * all.variance[d], 1e-12);
  if (o.components <= 1 || n < 2 * size_t(o.components)) {
    MixtureComponent one = all;  // the unbiased variance, as the prior was fitted before mixtures
    for (size_t d = 0; d < dims; ++d) one.variance[d] = std::max(n > 1 ? one.variance[d] * double(n) / double(n - 1) : 0.0, floor[d]);
    return {one};
  }
  std::vector<double> start(dims);
  for (size_t d = 0; d < dims; ++d) start[d] = std::max(all.variance[d], floor[d]);
  std::vector<MixtureComponent> m = seeded(x, n, dims, start, o.components, o.seed);
  std::vector<double> r;
  double previous = -std::numeric_limits<double>::infinity();
  for (int it = 0; it < o.max_iterations; ++it) {
    const double ll = expectation(m, x, n, dims, r);
    if (ll - previous < o.tolerance * std::max(1.0, std::fabs(ll))) break;
    previous = ll;
    maximization(m, x, n, dims, r, floor);
  }
  return m;
}

nlohmann::json latent_prior_json(const std::vector<double>& means, const std::vector<double>& within, size_t n) {
  const size_t dims = within.size();
  MixtureFit fit;
  fit.components = int(std::clamp<size_t>(n / 128, 1, 32));
  const std::vector<MixtureComponent> mixture = fit_mixture(means, n, dims, fit);
  auto gaussian = [&](const MixtureComponent& c) {
    std::vector<float> mean(c.mean.begin(), c.mean.end()), std(dims);
    for (size_t k = 0; k < dims; ++k) std[k] = float(std::max(std::sqrt(c.variance[k] + within[k]), 1e-3));
    return nlohmann::json{{"mean", mean}, {"std", std}};
  };
  nlohmann::json prior;
  if (mixture.size() == 1) {
    prior = gaussian(mixture[0]);
    prior["about"] = "diagonal Gaussian with the moments of the encoder's posteriors over training windows (variance: the means' plus the posteriors' own); sample draws z from it";
  } else {
    for (const MixtureComponent& c : mixture) {
      nlohmann::json component = gaussian(c);
      component["weight"] = c.weight;
      prior["components"].push_back(component);
    }
    prior["about"] = "mixture of diagonal Gaussians fitted by EM to the encoder means of training windows (each component's variance plus the posteriors' own); sample draws z from it";
  }
  prior["windows"] = n;
  return prior;
}

double mixture_log_likelihood(const std::vector<MixtureComponent>& mixture, const std::vector<double>& x, size_t n, size_t dims) {
  std::vector<double> r;  // expectation sizes it
  return expectation(mixture, x, n, dims, r);
}

}  // namespace timbrel::train
