#pragma once
// The harmoniser's melody term: a small network (one hidden layer) from what the melody plays in and around a
// beat to the chord sounding on it, both relative to the melody's key (so one table serves every
// key). Internal to harmony*.cpp.
#include <array>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "music/melody_analysis.h"

namespace timbrel::harmony {

inline constexpr int kClasses = 49;  // Magenta's triad classes (kTriadClasses)
inline constexpr int kViews = 8;  // the beat's halves, the beats before and after, five beats around, its bar, its half bar, the tune
inline constexpr int kBlock = kViews * 12 + kPositions + 1;  // and its place in the bar, and a bias
inline constexpr int kFeatures = 2 * kBlock;  // once for every tune, again for minor keys only
inline constexpr int kHidden = 128;
using Features = std::array<float, kFeatures>;

// Each beat's features: pitch-class time in each view (per beat, or per half beat for the
// halves), rotated so that index 0 is the key's tonic; the beat's place in the bar (from
// meter.phase); and a bias.
std::vector<Features> melody_features(const NoteSequence& seq, const Meter& meter, const Key& key);

struct ClassifierTraining {
  int epochs = 12;
  int min_steps = 3000;  // minibatch steps at least, whatever the data's size
  double learning_rate = 0.01;
  double l2 = 1e-5;
  unsigned seed = 1;
  int members = 1;  // networks trained from seeds seed, seed+1, ...: their probabilities are averaged
};

class ChordClassifier {
 public:
  bool empty() const { return members_.empty(); }
  size_t members() const { return members_.size(); }
  // log P(class relative to the key | x), for each of the 49 classes (the members' mean P).
  std::array<double, kClasses> log_probabilities(const Features& x) const;
  // Adam on minibatches of (features, class relative to the key), cross-entropy; members train
  // in parallel. From `start`'s weights when given (fine-tuning: member k from its member k, or
  // its last), else from random ones.
  static ChordClassifier train(const std::vector<Features>& x, const std::vector<int>& relative_class, const ClassifierTraining& o,
                               const ChordClassifier* start = nullptr);
  nlohmann::json to_json() const;
  // Throws an Error naming `where` when the weights are missing, of the wrong size or not finite.
  static ChordClassifier from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::vector<std::vector<float>> members_;  // each: hidden layer, its bias, output layer, its bias
};

}  // namespace timbrel::harmony
