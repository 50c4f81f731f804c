// The latent prior's mixture fit (src/train/latent_mixture.h): EM recovers known mixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "formats/model_card.h"
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
  EXPECT_NEAR(m[0].variance[0], 4.0, 1e-12);  // unbiased, as torch's var(), which fitted the prior before
  EXPECT_GT(m[0].variance[1], 0.0);  // floored: a constant dimension still has a finite density
  EXPECT_TRUE(std::isfinite(mixture_log_likelihood(m, x, 3, 2)));
}

TEST(LatentMixture, ConstantDimensionsAndDuplicatePointsStayFinite) {
  // 40 points on two spots, 3 dims, the last one constant: more components than distinct points.
  std::vector<double> x;
  for (int i = 0; i < 40; ++i) x.insert(x.end(), {i % 2 ? 1.0 : -1.0, i % 2 ? 2.0 : 0.0, 7.0});
  MixtureFit o;
  o.components = 8;
  const std::vector<MixtureComponent> m = fit_mixture(x, 40, 3, o);
  ASSERT_EQ(m.size(), 2u);  // seeding stops at the distinct points
  double total = 0;
  for (const MixtureComponent& c : m) {
    total += c.weight;
    EXPECT_NEAR(c.weight, 0.5, 1e-9);
    for (double v : c.variance) EXPECT_TRUE(std::isfinite(v) && v > 0);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_TRUE(std::isfinite(mixture_log_likelihood(m, x, 40, 3)));
}

// What the trainer writes into the card loads back: a mixture for clustered means, one Gaussian
// for a handful, each std widened by the posteriors' own variance.
TEST(LatentMixture, CardPriorLoadsBackAsTheTrainerWroteIt) {
  const size_t n = 3000;
  const std::vector<double> x = three_clusters(n), within = {0.04, 0.04, 0.04, 1.0};
  const nlohmann::json prior = latent_prior_json(x, within, n);
  ASSERT_TRUE(prior.contains("components")) << prior.dump();
  EXPECT_EQ(prior["components"].size(), 23u);  // 3000 / 128
  const auto loaded = formats::latent_prior_from_card({{"latent_prior", prior}}, 4, "m/model.json");
  ASSERT_TRUE(loaded.has_value());
  for (const auto& c : loaded->components)  // each variance widened by the posteriors' own
    for (size_t k = 0; k < 4; ++k) EXPECT_GE(double(c.std[k]) * c.std[k], within[k] * 0.999) << k;
  const nlohmann::json small = latent_prior_json(std::vector<double>(x.begin(), x.begin() + 4 * 200), within, 200);
  EXPECT_FALSE(small.contains("components"));
  const auto one = formats::latent_prior_from_card({{"latent_prior", small}}, 4, "m/model.json");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->components.size(), 1u);
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
