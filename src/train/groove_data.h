#pragma once
// Drum performances for GrooVAE: the Groove MIDI Dataset with its own train/validation/test split
// (info.csv; 4/4 performances only), or any folder of drum MIDI files split by file as the other
// trainers split. No torch here.
#include <string>
#include <vector>

#include "timbrel/groove.h"

namespace timbrel::train {

struct GroovePerformance {
  std::string file;   // relative to the corpus folder
  std::string style;  // info.csv's style up to '/' ("funk"), else ""
  GrooveSteps groove;
};

struct GrooveCorpus {
  std::vector<GroovePerformance> train, validation, test;  // test: info.csv's test rows (none for other folders)
  std::string split_rule;
  std::vector<std::string> failed;  // "file: why" for files that could not be read
};

GrooveCorpus load_groove_corpus(const std::string& dir, double validation_fraction);
// Windows of `steps` every `hop` steps through each performance; windows without a hit skipped.
std::vector<GrooveSteps> groove_windows(const std::vector<GroovePerformance>& performances, int steps, int hop);
// Steps [start, start + steps) of a groove (empty steps past its end).
GrooveSteps groove_slice(const GrooveSteps& g, int start, int steps);

}  // namespace timbrel::train
