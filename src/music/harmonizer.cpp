// The harmoniser: a hidden Markov model whose states are Magenta's 49 triad classes. A beat's
// melody is scored by a classifier of the melody in and around it (chord_classifier.h);
// progressions are learned relative to the tune's key (one table per mode); whether the chord
// changes is learned by the beat's place in the bar. Viterbi decodes.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "music/beat_grid.h"
#include "music/chord_classifier.h"
#include "music/file_split.h"
#include "music/lead_sheet.h"
#include "music/melody_analysis.h"
#include "timbrel/error.h"
#include "timbrel/harmony.h"
#include "timbrel/music.h"
#include "util/atomic_file.h"

namespace timbrel {

using harmony::kPositions;
using harmony::PitchTime;
constexpr int kStates = kTriadClasses;

struct Harmonizer::Tables {
  bool valid() const {
    auto probability = [](double p) { return std::isfinite(p) && p > 0 && p <= 1; };
    bool ok = std::isfinite(weight) && std::isfinite(key_weight);
    ok = ok && !classifier.empty();
    ok = ok && std::all_of(change, change + kPositions, [&](double p) { return probability(p) && p < 1; });
    for (int m = 0; m < 2; ++m)
      for (const auto* table : {&next[m], &first[m], &usual[m]}) ok = ok && std::all_of(table->begin(), table->end(), probability);
    return ok;
  }
  harmony::ChordClassifier classifier;  // P(chord relative to the key | the melody around the beat)
  double change[kPositions] = {};   // P(the chord changes on a beat | its place in the bar)
  std::vector<double> next[2];      // P(next | previous, a change), relative to the key, per mode: [49 * 49]
  std::vector<double> first[2];     // P(chord | mode) at the start, relative to the key: [49]
  double weight = 2.0;              // the melody's weight beside the progression
  std::vector<double> usual[2];     // P(chord | mode) on any beat, relative to the key: [49]
  double key_weight = 0.0;          // that prior's weight on every beat
  nlohmann::json card;              // what it was trained on and how it scored
};

// A tune of a training folder: its melody and chords (lead_sheet.h).
struct Harmonizer::Tune : LeadSheet {};

namespace {

namespace fs = std::filesystem;

int relative(int cls, int tonic) { return cls == 0 ? 0 : 1 + (cls - 1) / 12 * 12 + ((cls - 1) % 12 - tonic + 12) % 12; }

using Tune = Harmonizer::Tune;

// The classifier's log-probability of each state on each beat, in absolute chords for `key`.
std::vector<std::array<double, kStates>> melody_scores(const Harmonizer::Tables& t, const NoteSequence& melody, const Meter& meter, const Key& key) {
  const std::vector<harmony::Features> features = harmony::melody_features(melody, meter, key);
  std::vector<std::array<double, kStates>> out(features.size());
  for (size_t b = 0; b < features.size(); ++b) {
    const std::array<double, kStates> relative_scores = t.classifier.log_probabilities(features[b]);
    for (int s = 0; s < kStates; ++s) out[b][size_t(s)] = relative_scores[size_t(relative(s, key.tonic))];
  }
  return out;
}

// The most likely chords for `beats` with bars starting at `meter.phase`, and that path's score.
std::pair<std::vector<int>, double> viterbi(const Harmonizer::Tables& t, const std::vector<std::array<double, kStates>>& emit, const Key& key,
                                           const Meter& meter) {
  // Log tables in absolute chords for this key, once.
  std::vector<double> log_next(size_t(kStates * kStates)), log_usual(kStates), log_first(kStates);
  for (int p = 0; p < kStates; ++p) {
    log_usual[size_t(p)] = std::log(t.usual[key.minor][size_t(relative(p, key.tonic))]);
    log_first[size_t(p)] = std::log(t.first[key.minor][size_t(relative(p, key.tonic))]);
    for (int s = 0; s < kStates; ++s)
      log_next[size_t(p * kStates + s)] = std::log(t.next[key.minor][size_t(relative(p, key.tonic) * kStates + relative(s, key.tonic))]);
  }
  const size_t n = emit.size();
  std::vector<std::array<double, kStates>> score(n);
  std::vector<std::array<int, kStates>> from(n);
  for (size_t b = 0; b < n; ++b) {
    const int pos = harmony::beat_position(meter, int(b));
    const double stay = std::log(1 - t.change[pos]), change = std::log(t.change[pos]);
    for (int s = 0; s < kStates; ++s) {
      double best = b == 0 ? log_first[size_t(s)] : -INFINITY;
      for (int p = 0; b > 0 && p < kStates; ++p) {
        const double step = p == s ? stay : change + log_next[size_t(p * kStates + s)];
        if (score[b - 1][size_t(p)] + step > best) best = score[b - 1][size_t(p)] + step, from[b][size_t(s)] = p;
      }
      score[b][size_t(s)] = best + t.weight * emit[b][size_t(s)] + t.key_weight * log_usual[size_t(s)];
    }
  }
  std::vector<int> path(n, 0);
  if (n == 0) return {path, 0.0};
  path[n - 1] = int(std::max_element(score[n - 1].begin(), score[n - 1].end()) - score[n - 1].begin());
  for (size_t b = n - 1; b > 0; --b) path[b - 1] = from[b][size_t(path[b])];
  return {path, score[n - 1][size_t(path[n - 1])]};
}

// Where the bars start is not written in a melody: every phase is tried, the likeliest kept.
std::vector<ChordSpan> best_chords(const Harmonizer::Tables& t, const NoteSequence& melody) {
  const Key key = estimate_key(melody);
  Meter meter = estimate_meter(melody);
  std::pair<std::vector<int>, double> best{{}, -INFINITY};
  for (meter.phase = 0; meter.phase < meter.beats_per_bar; ++meter.phase)
    if (auto tried = viterbi(t, melody_scores(t, melody, meter, key), key, meter); tried.second > best.second) best = std::move(tried);
  return harmony::spans_of(best.first, meter);
}

// Training knows the chords: bars start where most of them change.
Meter meter_of_truth(Meter m, const std::vector<int>& truth) {
  std::vector<int> changes(size_t(m.beats_per_bar), 0);
  for (size_t b = 1; b < truth.size(); ++b)
    if (truth[b] != truth[b - 1]) ++changes[b % size_t(m.beats_per_bar)];
  m.phase = int(std::max_element(changes.begin(), changes.end()) - changes.begin());
  return m;
}

std::vector<double> normalized(const std::vector<double>& counts, double smoothing) {
  double sum = 0;
  for (double c : counts) sum += c + smoothing;
  std::vector<double> p;
  for (double c : counts) p.push_back((c + smoothing) / sum);
  return p;
}

// Counts of a training set, then smoothed into probabilities.
struct Counts {
  double changes[kPositions] = {}, stays[kPositions] = {};
  std::vector<harmony::Features> features;  // every training beat's, for the classifier
  std::vector<int> classes;                 // and its chord, relative to the key
  std::vector<double> next[2] = {std::vector<double>(kStates * kStates, 0.0), std::vector<double>(kStates * kStates, 0.0)};
  std::vector<double> first[2] = {std::vector<double>(kStates, 0.0), std::vector<double>(kStates, 0.0)};
  std::vector<double> usual[2] = {std::vector<double>(kStates, 0.0), std::vector<double>(kStates, 0.0)};

  void add(const Tune& tune) {
    const Key key = estimate_key(tune.melody);
    const Meter estimated = estimate_meter(tune.melody);
    const std::vector<PitchTime> beats = harmony::beat_pitch_time(tune.melody, estimated);
    const std::vector<int> truth = harmony::triad_per_beat(tune.chords, int(beats.size()), estimated);
    const Meter meter = meter_of_truth(estimated, truth);
    const std::vector<harmony::Features> f = harmony::melody_features(tune.melody, meter, key);
    features.insert(features.end(), f.begin(), f.end());
    for (size_t b = 0; b < beats.size(); ++b) {
      const int s = truth[b];
      classes.push_back(relative(s, key.tonic));
      usual[key.minor][size_t(relative(s, key.tonic))] += 1;
      if (b == 0) {
        first[key.minor][size_t(relative(s, key.tonic))] += 1;
        continue;
      }
      const int pos = harmony::beat_position(meter, int(b));
      if (truth[b - 1] == s) stays[pos] += 1;
      else changes[pos] += 1, next[key.minor][size_t(relative(truth[b - 1], key.tonic) * kStates + relative(s, key.tonic))] += 1;
    }
  }

  // A model to start from weighs as this many beats of its own (a user's handful of songs
  // adjusts it rather than replacing it).
  void add_prior(const Harmonizer::Tables& prior) {
    constexpr double kBeats = 2000, kChanges = 20;  // per table; per row of the progression table
    for (int p = 0; p < kPositions; ++p) changes[p] += kBeats * prior.change[p], stays[p] += kBeats * (1 - prior.change[p]);
    for (int m = 0; m < 2; ++m) {
      for (size_t i = 0; i < next[m].size(); ++i)
        if (i / kStates != i % kStates) next[m][i] += kChanges * prior.next[m][i];  // changes only: staying is not in this table
      for (size_t s = 0; s < size_t(kStates); ++s) first[m][s] += kChanges * prior.first[m][s], usual[m][s] += kBeats * prior.usual[m][s];
    }
  }

  void into(Harmonizer::Tables& t, const harmony::ChordClassifier* start, int ensemble) const {
    harmony::ClassifierTraining o;
    o.members = ensemble;
    if (start) o.learning_rate = 0.002, o.epochs = 6, o.min_steps = 300;  // fine-tuning: fewer, smaller steps from the model's weights
    t.classifier = harmony::ChordClassifier::train(features, classes, o, start);
    for (int p = 0; p < kPositions; ++p) t.change[p] = (changes[p] + 1) / (changes[p] + stays[p] + 2);
    for (int m = 0; m < 2; ++m) {
      t.next[m].assign(size_t(kStates * kStates), 0.0);
      for (int a = 0; a < kStates; ++a) {
        double sum = 0;
        for (int b = 0; b < kStates; ++b) sum += b == a ? 0 : next[m][size_t(a * kStates + b)] + 0.1;
        for (int b = 0; b < kStates; ++b) t.next[m][size_t(a * kStates + b)] = b == a ? 1.0 : (next[m][size_t(a * kStates + b)] + 0.1) / sum;
      }
      t.first[m] = normalized(first[m], 0.1);
      t.usual[m] = normalized(usual[m], 0.1);
    }
  }
};

// Beats right (root and triad quality) where the truth has a chord.
void score_tune(const Harmonizer& h, const Tune& tune, HarmonyScore& score, double& model_right, double& rule_right) {
  const Meter meter = estimate_meter(tune.melody);
  const int beats = int(harmony::beat_pitch_time(tune.melody, meter).size());
  const std::vector<int> truth = harmony::triad_per_beat(tune.chords, beats, meter);
  const std::vector<int> model = harmony::triad_per_beat(h.harmonize(tune.melody), beats, meter);
  const std::vector<int> rule = harmony::triad_per_beat(harmonize_by_rule(tune.melody), beats, meter);
  for (int b = 0; b < beats; ++b) {
    if (truth[size_t(b)] == 0) continue;
    ++score.beats;
    model_right += model[size_t(b)] == truth[size_t(b)];
    rule_right += rule[size_t(b)] == truth[size_t(b)];
  }
  ++score.files;
}

std::vector<Tune> load_tunes(const std::vector<std::string>& files, const BeatGrids& grids, const std::function<void(const std::string&)>& log) {
  std::vector<Tune> tunes;
  for (const std::string& f : files) {
    try {
      Tune t;
      if (read_lead_sheet(f, grids, t)) tunes.push_back(std::move(t));
    } catch (const Error& e) {
      if (log) log(std::string("skipped ") + e.what());
    }
  }
  return tunes;
}

HarmonyScore score_tunes(const Harmonizer& h, const std::vector<Tune>& tunes) {
  HarmonyScore s;
  double model = 0, rule = 0;
  for (const Tune& t : tunes) score_tune(h, t, s, model, rule);
  if (s.beats) s.model = model / double(s.beats), s.baseline = rule / double(s.beats);
  return s;
}

}  // namespace

Harmonizer::Harmonizer() : t_(std::make_unique<Tables>()) {}
Harmonizer::~Harmonizer() = default;
Harmonizer::Harmonizer(Harmonizer&&) noexcept = default;
Harmonizer& Harmonizer::operator=(Harmonizer&&) noexcept = default;

std::vector<ChordSpan> Harmonizer::harmonize(const NoteSequence& melody) const {
  if (t_->next[0].empty()) throw Error("Harmonizer", "has no model (load or train one)");
  if (std::none_of(melody.notes.begin(), melody.notes.end(), [](const Note& n) { return !n.is_drum; }))
    throw Error("melody", "has no pitched notes to harmonise");
  return best_chords(*t_, melody);
}

Harmonizer Harmonizer::train(const HarmonyTraining& o, std::vector<std::pair<std::string, HarmonyScore>>* held_out) {
  if (o.data.empty()) throw Error("HarmonyTraining.data", "names no folder");
  Counts counts;
  std::vector<std::vector<Tune>> training_sample;  // per folder, the tunes the weights are chosen on
  std::vector<std::pair<std::string, std::vector<Tune>>> validation;
  nlohmann::json folders = nlohmann::json::array();
  for (const std::string& dir : o.data) {
    const FileSplit split = split_files(dir, o.validation_fraction);
    const BeatGrids grids(dir);
    const std::vector<Tune> train = load_tunes(split.train, grids, o.log);
    // Every 4th training tune is kept apart to choose the weights on (all of them when there are
    // under 8: a user's few songs train everything).
    training_sample.emplace_back();
    for (size_t i = 0; i < train.size(); ++i) {
      if (i % 4 == 0) training_sample.back().push_back(train[i]);
      if (i % 4 != 0 || train.size() < 8) counts.add(train[i]);
    }
    validation.emplace_back(dir, load_tunes(split.validation, grids, o.log));
    folders.push_back({{"folder", fs::path(dir).lexically_normal().string()}, {"train_tunes", train.size()},
                       {"validation_tunes", validation.back().second.size()}, {"split", split.rule}});
    if (o.log) o.log(dir + ": " + std::to_string(train.size()) + " tunes with chords to train on, " +
                     std::to_string(validation.back().second.size()) + " held out");
  }
  if (counts.classes.empty())
    throw Error("HarmonyTraining.data", "holds no MIDI file with chords to train on (chord text events, NAME.csv beside it, or ../chords/NAME.csv)");
  Harmonizer h;
  std::unique_ptr<Harmonizer> from;
  if (!o.from.empty()) from = std::make_unique<Harmonizer>(load(o.from)), counts.add_prior(*from->t_);
  if (o.ensemble < 1 || o.ensemble > 64) throw Error("HarmonyTraining.ensemble", "must be 1 (one network) to 64");
  counts.into(*h.t_, from ? &from->t_->classifier : nullptr, o.ensemble);
  h.choose_weights(training_sample);
  h.t_->card = {{"data", folders}, {"from", o.from}, {"ensemble", o.ensemble}, {"melody_weight", h.t_->weight}, {"key_weight", h.t_->key_weight},
                {"change_by_position", std::vector<double>(h.t_->change, h.t_->change + kPositions)}};
  if (o.log) o.log("chord changes on a bar's first beat " + std::to_string(h.t_->change[0]) + ", its middle " + std::to_string(h.t_->change[1]) +
                   ", other beats " + std::to_string(h.t_->change[2]));
  for (const auto& [dir, tunes] : validation) {
    const HarmonyScore s = score_tunes(h, tunes);
    h.t_->card["held_out"][fs::path(dir).lexically_normal().string()] = {{"tunes", s.files}, {"beats", s.beats}, {"model", s.model}, {"rule_baseline", s.baseline}};
    if (held_out) held_out->emplace_back(dir, s);
  }
  return h;
}

// The melody's weight and the key prior's that get most training beats right, each folder
// counting the same (a grid: two numbers, chosen on training tunes only).
void Harmonizer::choose_weights(const std::vector<std::vector<Tune>>& folders) {
  double best = -1, best_weight = t_->weight, best_key = t_->key_weight;
  for (double key_weight : {-1.5, -1.0, -0.5, 0.0})
    for (double weight : {1.0, 2.0, 4.0, 8.0}) {
      t_->weight = weight, t_->key_weight = key_weight;
      double right = 0;
      for (const std::vector<Tune>& tunes : folders) right += score_tunes(*this, tunes).model / double(folders.size());
      if (right > best) best = right, best_weight = weight, best_key = key_weight;
    }
  t_->weight = best_weight, t_->key_weight = best_key;
}

HarmonyScore Harmonizer::evaluate(const std::string& folder, bool held_out, double validation_fraction) const {
  const FileSplit split = split_files(folder, validation_fraction);
  std::vector<std::string> files = split.validation;
  if (!held_out) files.insert(files.end(), split.train.begin(), split.train.end());
  return score_tunes(*this, load_tunes(files, BeatGrids(folder), nullptr));
}

void Harmonizer::save(const std::string& folder) const {
  nlohmann::json j = {{"format", "timbrel-harmonizer"}, {"version", 2}, {"melody_weight", t_->weight}};
  j["classifier"] = t_->classifier.to_json();
  j["key_weight"] = t_->key_weight;
  j["change"] = std::vector<double>(t_->change, t_->change + kPositions);
  for (int m = 0; m < 2; ++m) j["next"].push_back(t_->next[m]), j["first"].push_back(t_->first[m]), j["usual"].push_back(t_->usual[m]);
  j["card"] = t_->card;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw Error(folder, "cannot be created: " + ec.message());
  AtomicFile file(folder + "/model.json");
  const std::string text = j.dump(1);
  file.write(text.data(), text.size());
  file.commit();
}

Harmonizer Harmonizer::load(const std::string& folder) {
  const std::string path = folder + "/model.json";
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot be read (a harmoniser model folder holds model.json)");
  Harmonizer h;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("format") != "timbrel-harmonizer") throw Error(path, "is not a harmoniser model");
    if (j.value("version", 1) < 2) throw Error(path, "is a version 1 harmoniser model (per-quality melody tables): retrain it with timbrel train harmony");
    h.t_->weight = j.at("melody_weight");
    h.t_->key_weight = j.at("key_weight");
    h.t_->classifier = harmony::ChordClassifier::from_json(j.at("classifier"), path);
    for (int p = 0; p < kPositions; ++p) h.t_->change[p] = j.at("change").at(size_t(p));
    for (int m = 0; m < 2; ++m) {
      h.t_->next[m] = j.at("next").at(size_t(m)).get<std::vector<double>>();
      h.t_->first[m] = j.at("first").at(size_t(m)).get<std::vector<double>>();
      h.t_->usual[m] = j.at("usual").at(size_t(m)).get<std::vector<double>>();
    }
    h.t_->card = j.value("card", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("is not a valid harmoniser model: ") + e.what());
  }
  for (int m = 0; m < 2; ++m)
    if (h.t_->next[m].size() != size_t(kStates * kStates) || h.t_->first[m].size() != size_t(kStates) || h.t_->usual[m].size() != size_t(kStates))
      throw Error(path, "has tables of the wrong size");
  if (!h.t_->valid()) throw Error(path, "has a probability that is not in (0, 1] or a weight that is not finite");
  return h;
}

}  // namespace timbrel
