#pragma once
// A mixture of diagonal Gaussians fitted by EM to latent vectors: the prior `sample` draws z
// from. A model trained on several styles puts each style's windows in its own region of z; one
// Gaussian over all of them puts most of its mass between those regions, where the decoder
// mixes keys and styles.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace timbrel::train {

struct MixtureComponent {
  double weight = 0;
  std::vector<double> mean, variance;
};

struct MixtureFit {
  int components = 1;
  int max_iterations = 100;
  double tolerance = 1e-6;      // stop when the mean log-likelihood per point gains less (relative)
  double variance_floor = 0.01;  // of the data's own variance in each dimension
  uint64_t seed = 1;
};

// `x`: n points of `dims` values, row-major. Components start at points chosen k-means++-like;
// components that lose every point are dropped (weights sum to 1). One component (or
// n < 2 * components) gives the data's mean and unbiased variance.
std::vector<MixtureComponent> fit_mixture(const std::vector<double>& x, size_t n, size_t dims, const MixtureFit& o);

// Mean log-likelihood per point of `x` under the mixture (for tests and reports).
double mixture_log_likelihood(const std::vector<MixtureComponent>& mixture, const std::vector<double>& x, size_t n, size_t dims);

// The model card's "latent_prior" for n encoder means (n * within.size() values, row-major) and
// the posteriors' mean variance per dimension (`within`): up to 32 components (one per ~128
// means), each component's variance plus `within` (a latent that carries little keeps the
// spread of N(0, 1) instead of shrinking to the means' point); {"mean", "std"} when one.
nlohmann::json latent_prior_json(const std::vector<double>& means, const std::vector<double>& within, size_t n);

}  // namespace timbrel::train
