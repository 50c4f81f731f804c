// A one-hidden-layer network from a beat's melody (and its neighbours') to the chord, relative to the key.
#include "music/chord_classifier.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <atomic>
#include <exception>
#include <thread>

#include "timbrel/error.h"

namespace timbrel::harmony {
namespace {

// The features a beat has (most are zero: a melody plays one or two pitch classes a beat).
std::vector<int> nonzero(const Features& x) {
  std::vector<int> out;
  for (int j = 0; j < kFeatures; ++j)
    if (x[size_t(j)] != 0) out.push_back(j);
  return out;
}

// One Adam step (bias-corrected) on the mean gradient of a minibatch, with L2 decay.
struct Adam {
  std::vector<double> m, v;
  long steps = 0;
  void step(std::vector<float>& w, const std::vector<double>& grad, double lr, double l2) {
    if (m.empty()) m.assign(w.size(), 0.0), v.assign(w.size(), 0.0);
    ++steps;
    const double c1 = 1 - std::pow(0.9, double(steps)), c2 = 1 - std::pow(0.999, double(steps));
    for (size_t i = 0; i < w.size(); ++i) {
      const double g = grad[i] + l2 * w[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      w[i] -= float(lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + 1e-8));
    }
  }
};

}  // namespace

namespace {

// Pitch-class time per beat over beats from..to (inclusive, clipped to the tune).
PitchTime mean_of(const std::vector<PitchTime>& beats, int from, int to) {
  PitchTime out{};
  from = std::max(0, from), to = std::min(int(beats.size()) - 1, to);
  for (int k = from; k <= to; ++k)
    for (int pc = 0; pc < 12; ++pc) out[size_t(pc)] += beats[size_t(k)][size_t(pc)] / (to - from + 1);
  return out;
}

}  // namespace

std::vector<Features> melody_features(const NoteSequence& seq, const Meter& meter, const Key& key) {
  const std::vector<PitchTime> beats = beat_pitch_time(seq, meter);
  Meter half = meter;
  half.beat_quarters /= 2;
  std::vector<PitchTime> halves = beat_pitch_time(seq, half);
  halves.resize(2 * beats.size(), PitchTime{});
  const int n = int(beats.size()), bar = meter.beats_per_bar;
  const int half_bar = bar % 2 == 0 ? bar / 2 : bar;
  const PitchTime tune = mean_of(beats, 0, n - 1);
  std::vector<Features> out(beats.size());
  for (int b = 0; b < n; ++b) {
    const int in_bar = ((b - meter.phase) % bar + bar) % bar, bar_start = b - in_bar;
    const int half_start = bar_start + in_bar / half_bar * half_bar;
    const PitchTime views[kViews] = {halves[size_t(2 * b)], halves[size_t(2 * b + 1)], mean_of(beats, b - 1, b - 1), mean_of(beats, b + 1, b + 1),
                                     mean_of(beats, b - 2, b + 2), mean_of(beats, bar_start, bar_start + bar - 1),
                                     mean_of(beats, half_start, half_start + half_bar - 1), tune};
    Features& f = out[size_t(b)];
    f.fill(0.f);
    for (int v = 0; v < kViews; ++v)
      for (int pc = 0; pc < 12; ++pc) f[size_t(v * 12 + (pc - key.tonic + 12) % 12)] = float(views[v][size_t(pc)]);
    f[size_t(kViews * 12 + beat_position(meter, b))] = 1.f;
    f[kBlock - 1] = 1.f;
    if (key.minor) std::copy(f.begin(), f.begin() + kBlock, f.begin() + kBlock);
  }
  return out;
}

// The weights, one flat vector: hidden [kHidden][kFeatures], hidden bias [kHidden], output
// [kClasses][kHidden], output bias [kClasses].
namespace {

constexpr size_t kHiddenW = 0, kHiddenB = size_t(kHidden) * kFeatures, kOutW = kHiddenB + kHidden, kOutB = kOutW + size_t(kClasses) * kHidden;
constexpr size_t kWeights = kOutB + kClasses;

// Forward pass: the hidden layer's activations (ReLU) and log-softmax over the classes.
void forward(const std::vector<float>& w, const Features& x, const std::vector<int>& on, std::array<double, kHidden>& h,
             std::array<double, kClasses>& z) {
  for (int u = 0; u < kHidden; ++u) {
    double a = w[kHiddenB + size_t(u)];
    for (int j : on) a += double(w[kHiddenW + size_t(u * kFeatures + j)]) * x[size_t(j)];
    h[size_t(u)] = std::max(0.0, a);
  }
  for (int c = 0; c < kClasses; ++c) {
    double a = w[kOutB + size_t(c)];
    for (int u = 0; u < kHidden; ++u) a += double(w[kOutW + size_t(c * kHidden + u)]) * h[size_t(u)];
    z[size_t(c)] = a;
  }
  const double top = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double v : z) sum += std::exp(v - top);
  const double log_sum = top + std::log(sum);
  for (double& v : z) v -= log_sum;
}

// Adds one example's gradient of -log P(y | x), scaled by `scale`.
void backward(const std::vector<float>& w, const Features& x, const std::vector<int>& on, int y, double scale, std::vector<double>& grad) {
  std::array<double, kHidden> h{};
  std::array<double, kClasses> z{};
  forward(w, x, on, h, z);
  std::array<double, kHidden> dh{};
  for (int c = 0; c < kClasses; ++c) {
    const double d = (std::exp(z[size_t(c)]) - (c == y)) * scale;
    grad[kOutB + size_t(c)] += d;
    for (int u = 0; u < kHidden; ++u) {
      grad[kOutW + size_t(c * kHidden + u)] += d * h[size_t(u)];
      dh[size_t(u)] += d * w[kOutW + size_t(c * kHidden + u)];
    }
  }
  for (int u = 0; u < kHidden; ++u) {
    if (h[size_t(u)] <= 0) continue;
    grad[kHiddenB + size_t(u)] += dh[size_t(u)];
    for (int j : on) grad[kHiddenW + size_t(u * kFeatures + j)] += dh[size_t(u)] * x[size_t(j)];
  }
}

std::vector<float> initial_weights(unsigned seed) {
  std::vector<float> w(kWeights, 0.f);
  std::mt19937 rng(seed);
  std::normal_distribution<float> hidden(0.f, 0.3f), out(0.f, float(std::sqrt(1.0 / kHidden)));
  for (size_t i = kHiddenW; i < kHiddenB; ++i) w[i] = hidden(rng);
  for (size_t i = kOutW; i < kOutB; ++i) w[i] = out(rng);
  return w;
}

// One member's training from weights `w`.
std::vector<float> train_member(std::vector<float> w, const std::vector<Features>& x, const std::vector<std::vector<int>>& on, const std::vector<int>& y,
                                const ClassifierTraining& o, unsigned seed) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::mt19937 rng(seed);
  Adam adam;
  std::vector<double> grad(w.size());
  constexpr size_t kBatch = 128;
  const size_t batches = (x.size() + kBatch - 1) / kBatch;
  const int epochs = std::max(o.epochs, int((size_t(o.min_steps) + batches - 1) / batches));  // a small folder gets more passes
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const double lr = o.learning_rate * (epoch < epochs * 2 / 3 ? 1.0 : 0.1);  // a last third at a tenth settles it
    for (size_t start = 0; start < order.size(); start += kBatch) {
      std::fill(grad.begin(), grad.end(), 0.0);
      const size_t end = std::min(order.size(), start + kBatch);
      for (size_t k = start; k < end; ++k) backward(w, x[order[k]], on[order[k]], y[order[k]], 1.0 / double(end - start), grad);
      adam.step(w, grad, lr, o.l2);
    }
  }
  return w;
}

}  // namespace

std::array<double, kClasses> ChordClassifier::log_probabilities(const Features& x) const {
  const std::vector<int> on = nonzero(x);
  std::array<double, kHidden> h{};
  std::array<double, kClasses> z{}, mean{};
  for (const std::vector<float>& w : members_) {
    forward(w, x, on, h, z);
    for (int c = 0; c < kClasses; ++c) mean[size_t(c)] += std::exp(z[size_t(c)]) / double(members_.size());
  }
  if (members_.size() == 1) return z;  // exactly the member's, without a round trip through exp
  for (double& p : mean) p = std::log(std::max(p, 1e-300));
  return mean;
}

ChordClassifier ChordClassifier::train(const std::vector<Features>& x, const std::vector<int>& y, const ClassifierTraining& o,
                                       const ChordClassifier* start) {
  if (x.empty() || x.size() != y.size()) throw Error("ChordClassifier", "needs one class per feature row, and at least one row");
  if (o.members < 1) throw Error("ClassifierTraining.members", "must be at least 1");
  std::vector<std::vector<int>> on(x.size());
  for (size_t i = 0; i < x.size(); ++i) on[i] = nonzero(x[i]);
  ChordClassifier c;
  c.members_.resize(size_t(o.members));
  // Members train on as many threads as there are cores; an error in one is rethrown here.
  std::atomic<int> next{0};
  std::vector<std::exception_ptr> errors(size_t(o.members));
  auto work = [&] {
    for (int k; (k = next++) < o.members;) try {
        const unsigned seed = o.seed + unsigned(k);
        std::vector<float> w = start && !start->empty() ? start->members_[std::min(size_t(k), start->members_.size() - 1)] : initial_weights(seed);
        c.members_[size_t(k)] = train_member(std::move(w), x, on, y, o, seed);
      } catch (...) {
        errors[size_t(k)] = std::current_exception();
      }
  };
  std::vector<std::thread> threads;
  const int n = std::min<int>(o.members, int(std::max(1u, std::thread::hardware_concurrency())));
  for (int t = 0; t < n; ++t) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  return c;
}

// One member writes as {"hidden", "weights"} (as before ensembles); several as {"hidden", "members": [weights...]}.
nlohmann::json ChordClassifier::to_json() const {
  if (members_.size() == 1) return {{"hidden", kHidden}, {"weights", members_[0]}};
  return {{"hidden", kHidden}, {"members", members_}};
}

namespace {

std::vector<float> weights_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array() || j.size() != kWeights)
    throw Error(where, "needs a classifier of " + std::to_string(kHidden) + " hidden units and " + std::to_string(kWeights) + " weights");
  std::vector<float> w;
  w.reserve(kWeights);
  for (const nlohmann::json& v : j) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) throw Error(where, "has a classifier weight that is not a finite number");
    w.push_back(v.get<float>());
  }
  return w;
}

}  // namespace

ChordClassifier ChordClassifier::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || j.value("hidden", 0) != kHidden || (!j.contains("weights") && !j.contains("members")))
    throw Error(where, "needs a classifier of " + std::to_string(kHidden) + " hidden units and its weights");
  ChordClassifier c;
  if (j.contains("weights")) c.members_.push_back(weights_from_json(j["weights"], where));
  else if (!j["members"].is_array() || j["members"].empty()) throw Error(where, "needs at least one classifier member");
  else
    for (const nlohmann::json& m : j["members"]) c.members_.push_back(weights_from_json(m, where));
  return c;
}

}  // namespace timbrel::harmony
