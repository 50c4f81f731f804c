// `timbrel eval groove`: humanize against the drummers' own performances and two baselines;
// drumify's hits against the beats the taps came from, beside the drums MusicVAE's reconstruction.
#include <cmath>
#include <map>
#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/groove.h"
#include "timbrel/musicvae.h"
#include "train/groove_data.h"

namespace timbrel {
namespace {

using train::GroovePerformance;
constexpr int kClasses = GrooveSteps::kClasses;

// Each class's mean velocity and offset over the training hits (the first baseline).
struct ClassMeans {
  std::array<double, kClasses> velocity{}, offset{};
  explicit ClassMeans(const std::vector<GroovePerformance>& train) {
    std::array<double, kClasses> n{};
    for (const GroovePerformance& p : train)
      for (size_t i = 0; i < p.groove.hit.size(); ++i)
        if (p.groove.hit[i] > 0.5f) velocity[i % kClasses] += p.groove.velocity[i], offset[i % kClasses] += p.groove.offset[i], n[i % kClasses] += 1;
    for (int c = 0; c < kClasses; ++c)
      if (n[size_t(c)] > 0) velocity[size_t(c)] /= n[size_t(c)], offset[size_t(c)] /= n[size_t(c)];
  }
  GrooveSteps play(GrooveSteps g) const {
    for (size_t i = 0; i < g.hit.size(); ++i)
      if (g.hit[i] > 0.5f) g.velocity[i] = float(velocity[i % kClasses]), g.offset[i] = float(offset[i % kClasses]);
    return g;
  }
};

// The second baseline: a random training performance of the same style laid over the beat from
// its first bar (looping); where it does not hit that class on that step, the class's mean.
GrooveSteps random_drummer(const GrooveSteps& beat, const GroovePerformance& other, const ClassMeans& means) {
  GrooveSteps g = means.play(beat);
  for (int s = 0; s < g.steps; ++s)
    for (int c = 0; c < kClasses; ++c) {
      const size_t i = g.index(s, c), j = other.groove.index(s % other.groove.steps, c);
      if (g.hit[i] > 0.5f && other.groove.hit[j] > 0.5f) g.velocity[i] = other.groove.velocity[j], g.offset[i] = other.groove.offset[j];
    }
  return g;
}

const GroovePerformance& same_style(const std::vector<GroovePerformance>& train, const std::string& style, std::mt19937_64& rng) {
  std::vector<const GroovePerformance*> pool;
  for (const GroovePerformance& p : train)
    if (p.style == style) pool.push_back(&p);
  if (pool.empty())
    for (const GroovePerformance& p : train) pool.push_back(&p);
  return *pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
}

// Absolute errors (velocity in MIDI units, offset in ms) summed over the truth's hits.
struct Errors {
  double velocity = 0, offset_ms = 0;
  size_t hits = 0;
  void add(const GrooveSteps& truth, const GrooveSteps& played) {
    for (size_t i = 0; i < truth.hit.size(); ++i) {
      if (truth.hit[i] <= 0.5f) continue;
      velocity += 127.0 * std::abs(double(truth.velocity[i] - played.velocity[i]));
      offset_ms += 1000.0 * truth.step_seconds() * std::abs(double(truth.offset[i] - played.offset[i]));
      ++hits;
    }
  }
  nlohmann::json json() const { return {{"velocity_mae", velocity / double(std::max<size_t>(hits, 1))}, {"offset_mae_ms", offset_ms / double(std::max<size_t>(hits, 1))}}; }
};

// Per class: the hits' velocities and offsets (ms), for their spread; per style: where the hi-hats
// and ride fall in the second half of each beat (a swung eighth lands late there, often quantized
// to the last sixteenth with an early offset).
struct Feel {
  std::array<std::vector<double>, kClasses> velocity, offset_ms;
  std::map<std::string, std::array<double, 2>> swing;  // style -> sum of positions after the beat's middle (ms), count
  void add(const GrooveSteps& g, const std::string& style) {
    for (int s = 0; s < g.steps; ++s)
      for (int c = 0; c < kClasses; ++c) {
        const size_t i = g.index(s, c);
        if (g.hit[i] <= 0.5f) continue;
        const double ms = 1000.0 * g.step_seconds() * g.offset[i];
        velocity[size_t(c)].push_back(127.0 * g.velocity[i]), offset_ms[size_t(c)].push_back(ms);
        const bool timekeeper = c == 2 || c == 3 || c == 8;  // hi-hats and ride keep the eighths
        if (timekeeper && s % 4 >= 2) {
          auto& w = swing[style];
          w[0] += 1000.0 * g.step_seconds() * (s % 4 - 2) + ms, w[1] += 1;
        }
      }
  }
};

double std_of(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = 0, q = 0;
  for (double x : v) m += x / double(v.size());
  for (double x : v) q += (x - m) * (x - m);
  return std::sqrt(q / double(v.size() - 1));
}

const char* kClassNames[kClasses] = {"kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride"};

nlohmann::json compare_feel(const Feel& model, const Feel& truth) {
  nlohmann::json spread = nlohmann::json::array(), swing = nlohmann::json::object();
  for (int c = 0; c < kClasses; ++c) {
    if (truth.velocity[size_t(c)].size() < 20) continue;
    spread.push_back({{"class", kClassNames[c]}, {"hits", truth.velocity[size_t(c)].size()},
                      {"velocity_std", {{"model", std_of(model.velocity[size_t(c)])}, {"data", std_of(truth.velocity[size_t(c)])}}},
                      {"offset_std_ms", {{"model", std_of(model.offset_ms[size_t(c)])}, {"data", std_of(truth.offset_ms[size_t(c)])}}}});
  }
  for (const auto& [style, t] : truth.swing) {
    if (t[1] < 20 || !model.swing.count(style)) continue;
    const auto& m = model.swing.at(style);
    swing[style.empty() ? "all" : style] = {{"data_ms", t[0] / t[1]}, {"model_ms", m[0] / std::max(m[1], 1.0)}, {"hits", t[1]}};
  }
  return {{"per_class_spread", spread},
          {"swing", swing},
          {"swing_about", "mean position of hi-hat and ride hits in the second half of each beat, after its middle (ms); a swung "
                          "eighth lies later than a straight one, and sixteenths on the beat's last step count too: compare model and data"}};
}

// How much of the drummers' timing a score could hold: the spread of offsets within each 2-bar
// window around its mean, and the spread of those means (a take drifting against the grid).
nlohmann::json timing_spread(const std::vector<GroovePerformance>& test) {
  std::vector<double> within, means;
  for (const GroovePerformance& p : test)
    for (int start = 0; start + 32 <= p.groove.steps; start += 32) {
      std::vector<double> ms;
      for (int s = start; s < start + 32; ++s)
        for (int c = 0; c < kClasses; ++c)
          if (p.groove.hit[p.groove.index(s, c)] > 0.5f) ms.push_back(1000.0 * p.groove.step_seconds() * p.groove.offset[p.groove.index(s, c)]);
      if (ms.size() < 4) continue;
      double mean = 0;
      for (double x : ms) mean += x / double(ms.size());
      for (double x : ms) within.push_back(x - mean);
      means.push_back(mean);
    }
  return {{"within_window_offset_std_ms", std_of(within)}, {"window_mean_offset_std_ms", std_of(means)},
          {"about", "the test performances' own offsets: their spread around each 2-bar window's mean, and the spread of those means"}};
}

// Sums of hits' velocities and offsets per step of the bar and drum: a feel template.
struct StepFeelSums {
  std::array<double, 16 * kClasses> velocity{}, offset{}, n{};
  static size_t key(int step, int drum_class) { return size_t(step % 16) * kClasses + size_t(drum_class); }
  void add(const GrooveSteps& g) {
    for (int s = 0; s < g.steps; ++s)
      for (int c = 0; c < kClasses; ++c)
        if (const size_t i = g.index(s, c); g.hit[i] > 0.5f) velocity[key(s, c)] += g.velocity[i], offset[key(s, c)] += g.offset[i], n[key(s, c)] += 1;
  }
};

// Each style's mean velocity and offset per drum and step of the bar over the training takes (a
// reference that knows the take's style label, which humanize is not told).
struct StyleMeans {
  std::map<std::string, StepFeelSums> sums;
  explicit StyleMeans(const std::vector<GroovePerformance>& train) {
    for (const GroovePerformance& p : train) sums[p.style].add(p.groove);
  }
  GrooveSteps play(const GrooveSteps& beat, const std::string& style, const ClassMeans& means) const {
    GrooveSteps g = means.play(beat);
    const auto it = sums.find(style);
    if (it == sums.end()) return g;
    const StepFeelSums& t = it->second;
    for (int s = 0; s < g.steps; ++s)
      for (int c = 0; c < kClasses; ++c)
        if (const size_t i = g.index(s, c), k = StepFeelSums::key(s, c); g.hit[i] > 0.5f && t.n[k] > 0)
          g.velocity[i] = float(t.velocity[k] / t.n[k]), g.offset[i] = float(t.offset[k] / t.n[k]);
    return g;
  }
};

// No score-reader can be this: each test take's own mean velocity and offset per drum and step of
// the bar (its feel), optionally with each 2-bar window's own drift from that feel added: read from
// the take, each hit left out of its own step's means (a class's mean where the take has no other such
// hit). It shows how much of the error is knowledge of the take that the score does not hold.
GrooveSteps take_oracle(const GrooveSteps& truth, const ClassMeans& means, bool with_drift) {
  StepFeelSums take;
  take.add(truth);
  GrooveSteps g = means.play(truth);
  for (int s = 0; s < truth.steps; ++s)
    for (int c = 0; c < kClasses; ++c)
      if (const size_t i = truth.index(s, c), k = StepFeelSums::key(s, c); truth.hit[i] > 0.5f && take.n[k] > 1) {
        g.velocity[i] = float((take.velocity[k] - truth.velocity[i]) / (take.n[k] - 1));
        g.offset[i] = float((take.offset[k] - truth.offset[i]) / (take.n[k] - 1));
      }
  for (int start = 0; with_drift && start < truth.steps; start += 32) {  // the window's drift, without the hit itself
    double drift = 0, hits = 0;
    for (size_t i = truth.index(start, 0); i < truth.index(std::min(start + 32, truth.steps), 0); ++i)
      if (truth.hit[i] > 0.5f) drift += truth.offset[i] - g.offset[i], hits += 1;
    for (size_t i = truth.index(start, 0); i < truth.index(std::min(start + 32, truth.steps), 0); ++i)
      if (truth.hit[i] > 0.5f && hits > 1)
        g.offset[i] = std::clamp(g.offset[i] + float((drift - (truth.offset[i] - g.offset[i])) / (hits - 1)), -0.5f, 0.5f);
  }
  return g;
}

// Per class, the spread of the drummers' hits that the model's (expected) hits lack, on training
// takes: sqrt(max(0, var(data) - var(model))), velocity in MIDI units and offset in ms.
struct MissingSpread {
  std::array<double, kClasses> velocity{}, offset_ms{};
  MissingSpread(const GrooveModel& model, const std::vector<GroovePerformance>& train, const GrooveEvalOptions& o) {
    Feel played, truth;
    for (size_t k = 0; k < train.size(); k += std::max<size_t>(1, train.size() / 300)) {  // ~300 takes
      GrooveOptions go;
      go.seed = o.seed + k, go.temperature = o.temperature;
      played.add(model.perform(train[k].groove, go), ""), truth.add(train[k].groove, "");
    }
    auto missing = [](const std::vector<double>& t, const std::vector<double>& m) {
      return std::sqrt(std::max(0.0, std_of(t) * std_of(t) - std_of(m) * std_of(m)));
    };
    for (size_t c = 0; c < kClasses; ++c)
      velocity[c] = missing(truth.velocity[c], played.velocity[c]), offset_ms[c] = missing(truth.offset_ms[c], played.offset_ms[c]);
  }
  // `g` with each hit moved by Gaussian noise of `fraction` of its class's missing spread.
  GrooveSteps add_to(GrooveSteps g, double fraction, std::mt19937_64& rng) const {
    std::normal_distribution<double> noise;
    for (size_t i = 0; i < g.hit.size(); ++i) {
      if (g.hit[i] <= 0.5f) continue;
      const size_t c = i % kClasses;
      g.velocity[i] = float(std::clamp(g.velocity[i] + fraction * velocity[c] / 127.0 * noise(rng), 1.0 / 127, 1.0));
      g.offset[i] = float(std::clamp(g.offset[i] + fraction * offset_ms[c] / 1000.0 / g.step_seconds() * noise(rng), -0.5, 0.5));
    }
    return g;
  }
};

// What restoring the spread costs: the model's hits plus part or all of the spread they lack
// (each class's, as noise), scored as the model is, with each drum's spread against the data's.
nlohmann::json spread_tradeoff(const GrooveModel& model, const train::GrooveCorpus& corpus, const std::vector<GroovePerformance>& test,
                               const std::vector<GrooveSteps>& performed, const GrooveEvalOptions& o) {
  const MissingSpread missing(model, corpus.train, o);
  nlohmann::json out = nlohmann::json::array();
  for (double fraction : {0.5, 1.0}) {
    std::mt19937_64 rng(o.seed);
    Errors errors;
    Feel played, truth;
    for (size_t k = 0; k < test.size(); ++k) {
      const GrooveSteps g = missing.add_to(performed[k], fraction, rng);
      errors.add(test[k].groove, g), played.add(g, ""), truth.add(test[k].groove, "");
    }
    double worst = 1e9;
    for (size_t c = 0; c < kClasses; ++c)
      if (truth.velocity[c].size() >= 20)
        worst = std::min({worst, std_of(played.velocity[c]) / std_of(truth.velocity[c]), std_of(played.offset_ms[c]) / std_of(truth.offset_ms[c])});
    out.push_back({{"fraction", fraction}, {"errors", errors.json()}, {"smallest_spread_ratio", worst}});
  }
  return {{"with_missing_spread", out},
          {"about", "the model's hits plus Gaussian noise of a fraction of each drum's spread they lack (fitted on ~300 training "
                    "takes): errors, and the smallest ratio of a drum's spread (velocity or offset) to the drummers'"}};
}

nlohmann::json evaluate_humanize(const GrooveModel& model, const train::GrooveCorpus& corpus, const std::vector<GroovePerformance>& test,
                                 const GrooveEvalOptions& o) {
  const ClassMeans means(corpus.train);
  const StyleMeans styles(corpus.train);
  std::mt19937_64 rng(o.seed);
  Errors by_model, by_means, by_drummer, by_oracle, by_template, by_style;
  Feel model_feel, truth_feel;
  std::vector<GrooveSteps> performed;
  for (size_t k = 0; k < test.size(); ++k) {
    const GroovePerformance& p = test[k];
    GrooveOptions go;
    go.seed = o.seed + k, go.temperature = o.temperature;
    const GrooveSteps& played = performed.emplace_back(model.perform(p.groove, go));
    by_model.add(p.groove, played);
    by_means.add(p.groove, means.play(p.groove));
    by_drummer.add(p.groove, random_drummer(p.groove, same_style(corpus.train, p.style, rng), means));
    by_oracle.add(p.groove, take_oracle(p.groove, means, true));
    by_template.add(p.groove, take_oracle(p.groove, means, false));
    by_style.add(p.groove, styles.play(p.groove, p.style, means));
    model_feel.add(played, p.style), truth_feel.add(p.groove, p.style);
  }
  const nlohmann::json m = by_model.json(), a = by_means.json(), b = by_drummer.json();
  auto gain = [&](const char* key) { return 1.0 - m[key].get<double>() / std::min(a[key].get<double>(), b[key].get<double>()); };
  return {{"performances", test.size()},
          {"hits", by_model.hits},
          {"model", m},
          {"baseline_class_means", a},
          {"baseline_random_drummer", b},
          {"error_reduction_vs_better_baseline", {{"velocity", gain("velocity_mae")}, {"offset", gain("offset_mae_ms")}}},
          {"reference_style_means", by_style.json()},
          {"oracle_take_feel", by_template.json()},
          {"oracle_take_feel_and_drift", by_oracle.json()},
          {"oracle_about", "not baselines: each test take's own mean per drum and step of the bar (its feel), then also each 2-bar "
                           "window's drift from it, read from the take itself (each hit left out of its own means): what knowing the take buys"},
          {"feel", compare_feel(model_feel, truth_feel)},
          {"spread_tradeoff", spread_tradeoff(model, corpus, test, performed, o)},
          {"data_timing", timing_spread(test)}};
}

// Hits right / wrong / missed between two grooves.
struct HitCounts {
  double right = 0, extra = 0, missed = 0, tapped_steps = 0, tapped_kept = 0;
  void add(const GrooveSteps& truth, const GrooveSteps& got) {
    for (size_t i = 0; i < truth.hit.size(); ++i) {
      const bool t = truth.hit[i] > 0.5f, g = got.hit[i] > 0.5f;
      right += t && g, extra += g && !t, missed += t && !g;
    }
  }
  double f1() const { return right > 0 ? 2 * right / (2 * right + extra + missed) : 0; }
};

GrooveSteps from_tokens(const Tokens& tokens, const GrooveSteps& like) {
  GrooveSteps g = quantized_groove(like);
  std::fill(g.hit.begin(), g.hit.end(), 0.f);
  for (int s = 0; s < g.steps && s < int(tokens.size()); ++s)
    for (int c = 0; c < kClasses; ++c) g.hit[g.index(s, c)] = (tokens[size_t(s)] >> c) & 1 ? 1.f : 0.f;
  return g;
}

nlohmann::json evaluate_drumify(const GrooveModel& model, const std::vector<GroovePerformance>& test, const GrooveEvalOptions& o) {
  const MusicVae vae = MusicVae::load(o.baseline_model.empty() ? bundled_model_path("drums-2bar") : o.baseline_model);
  if (vae.info().kind != ModelKind::Drums || vae.info().steps != 32) throw Error("baseline_model", "must be a 2-bar drums MusicVAE");
  std::vector<GrooveSteps> windows = train::groove_windows(test, 32, 32);
  HitCounts by_model, by_vae;
  std::vector<Tokens> tap_tokens;
  for (size_t k = 0; k < windows.size(); ++k) {
    const GrooveSteps taps = tap_groove(windows[k]);
    GrooveOptions go;
    go.seed = o.seed + k, go.temperature = o.temperature;
    const GrooveSteps beat = model.perform(taps, go);
    by_model.add(windows[k], beat);
    for (int s = 0; s < taps.steps; ++s) {
      if (taps.hit[taps.index(s, kTapClass)] <= 0.5f) continue;
      by_model.tapped_steps += 1;
      for (int c = 0; c < kClasses; ++c)
        if (beat.hit[beat.index(s, c)] > 0.5f) {
          by_model.tapped_kept += std::abs(beat.offset[beat.index(s, c)] - taps.offset[taps.index(s, kTapClass)]) < 1e-6f;
          break;
        }
    }
    Tokens t(32, 0);
    for (int s = 0; s < 32; ++s) t[size_t(s)] = taps.hit[taps.index(s, kTapClass)] > 0.5f ? 1 << kTapClass : 0;
    tap_tokens.push_back(std::move(t));
  }
  const std::vector<Tokens> rebuilt = vae.decode(vae.encode(tap_tokens), 0.0);
  for (size_t k = 0; k < windows.size(); ++k) by_vae.add(windows[k], from_tokens(rebuilt[k], windows[k]));
  return {{"windows", windows.size()},
          {"model_f1", by_model.f1()},
          {"baseline_drums_2bar_f1", by_vae.f1()},
          {"tapped_steps_kept", by_model.tapped_steps > 0 ? by_model.tapped_kept / by_model.tapped_steps : 0.0},
          {"about", "hits per 16th step and drum class against the beat the taps were taken from (2-bar windows of the test "
                    "performances); the baseline reconstructs the same taps with the drums MusicVAE (argmax)"}};
}

}  // namespace

std::string evaluate_groove(const GrooveEvalOptions& o) {
  if (o.task != "humanize" && o.task != "drumify") throw Error("task", "must be humanize or drumify");
  if (o.data.empty()) throw Error("data", "names no folder of drum performances");
  const GrooveModel model = GrooveModel::load(o.model.empty() ? bundled_model_path("groove-" + o.task) : o.model);
  if (model.info().task != o.task) throw Error("model", "is a " + model.info().task + " model, not " + o.task);
  const train::GrooveCorpus corpus = train::load_groove_corpus(o.data, o.validation_fraction);
  const bool has_test = !corpus.test.empty();
  const std::vector<GroovePerformance>& test = has_test ? corpus.test : corpus.validation;
  if (test.empty()) throw Error("data", "holds no held-out performance to evaluate on");
  nlohmann::json j = o.task == "humanize" ? evaluate_humanize(model, corpus, test, o) : evaluate_drumify(model, test, o);
  j["task"] = o.task;
  j["split"] = has_test ? "test (info.csv), never trained on" : "validation (the trainers' held-out files)";
  j["seed"] = o.seed, j["temperature"] = o.temperature;
  return j.dump(2);
}

}  // namespace timbrel
