// The latent prior's mixture fit (src/train/latent_mixture.h): EM recovers known mixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "train/latent_mixture.h"

namespace timbrel::train {
namespace {

// n points from three well-separated diagonal Gaussians in 4 dimensions, weights 0.5/0.3/0.2.
std::vector<double> three_clusters(size_t n, std::vector<int>* labels = nullptr) {
  const double centres[3][4] = {{-4, 0, 2, 1}, {3, 3, -2, 0}, {0, -5, 0, 4}};
  const double spread[3] = {0.5, 1.0, 0.3};
  std::mt19937_64 rng(7);
  std::discrete_distribution<int> pick({0.5, 0.3, 0.2});
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x;
  for (size_t i = 0; i < n; ++i) {
    const int c = pick(rng);
    if (labels) labels->push_back(c);
    for (int k = 0; k < 4; ++k) x.push_back(centres[c][k] + spread[c] * g(rng));
  }
  return x;
}

TEST(LatentMixture, RecoversTheWeightsMeansAndVariancesOfSeparatedClusters) {
  const size_t n = 6000;
  const std::vector<double> x = three_clusters(n);
  MixtureFit o;
  o.components = 3;
  std::vector<MixtureComponent> m = fit_mixture(x, n, 4, o);
  ASSERT_EQ(m.size(), 3u);
  std::sort(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.weight > b.weight; });
  const double weights[3] = {0.5, 0.3, 0.2}, first_mean[3] = {-4, 3, 0}, variance[3] = {0.25, 1.0, 0.09};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(m[size_t(c)].weight, weights[c], 0.02) << c;
    EXPECT_NEAR(m[size_t(c)].mean[0], first_mean[c], 0.1) << c;
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(m[size_t(c)].variance[size_t(k)], variance[c], 0.15 * variance[c]) << c << " " << k;
  }
}

TEST(LatentMixture, MoreComponentsFitTheClustersBetterThanOneGaussian) {
  const size_t n = 3000;
  const std::vector<double> x = three_clusters(n);
  MixtureFit one, three;
  three.components = 3;
  const double ll1 = mixture_log_likelihood(fit_mixture(x, n, 4, one), x, n, 4);
  const double ll3 = mixture_log_likelihood(fit_mixture(x, n, 4, three), x, n, 4);
  EXPECT_GT(ll3, ll1 + 1.0);
}

TEST(LatentMixture, OneComponentIsTheDataMomentsAndTooFewPointsGiveOne) {
  const std::vector<double> x = {1, 10, 3, 10, 5, 10};  // 3 points, 2 dims: the second constant
  MixtureFit o;
  o.components = 2;  // 3 points < 2 * 2: one Gaussian
  const std::vector<MixtureComponent> m = fit_mixture(x, 3, 2, o);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_DOUBLE_EQ(m[0].weight, 1.0);
  EXPECT_DOUBLE_EQ(m[0].mean[0], 3.0);
  EXPECT_NEAR(m[0].variance[0], 8.0 / 3.0, 1e-12);
  EXPECT_GT(m[0].variance[1], 0.0);  // floored: a constant dimension still has a finite density
  EXPECT_TRUE(std::isfinite(mixture_log_likelihood(m, x, 3, 2)));
}

TEST(LatentMixture, TheSameSeedGivesTheSameFit) {
  const size_t n = 800;
  const std::vector<double> x = three_clusters(n);
  MixtureFit o;
  o.components = 5;
  const auto a = fit_mixture(x, n, 4, o), b = fit_mixture(x, n, 4, o);
  ASSERT_EQ(a.size(), b.size());
  for (size_t c = 0; c < a.size(); ++c) EXPECT_EQ(a[c].mean, b[c].mean);
  double total = 0;
  for (const auto& c : a) total += c.weight;
  EXPECT_NEAR(total, 1.0, 1e-9);
}

}  // namespace
}  // namespace timbrel::train
