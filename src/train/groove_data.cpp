#include "train/groove_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "music/file_split.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> csv_fields(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();  // a file saved with CRLF
  std::vector<std::string> out;
  size_t from = 0;
  for (size_t comma; (comma = line.find(',', from)) != std::string::npos; from = comma + 1) out.push_back(line.substr(from, comma - from));
  out.push_back(line.substr(from));
  return out;
}

// Reads one performance into `into`, or notes why not.
void add_performance(const std::string& dir, const std::string& rel, const std::string& style, std::vector<GroovePerformance>& into,
                     GrooveCorpus& corpus) {
  try {
    GroovePerformance p{rel, style, encode_groove(read_midi((fs::path(dir) / rel).string()))};
    if (p.groove.hits() > 0) into.push_back(std::move(p));
  } catch (const Error& e) {
    corpus.failed.push_back(rel + ": " + e.what());
  }
}

// Groove MIDI's info.csv: drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,...,split.
bool load_by_info_csv(const std::string& dir, GrooveCorpus& corpus) {
  std::ifstream in(fs::path(dir) / "info.csv");
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  const std::vector<std::string> header = csv_fields(line);
  auto column = [&](const std::string& name) { return size_t(std::find(header.begin(), header.end(), name) - header.begin()); };
  const size_t style = column("style"), meter = column("time_signature"), file = column("midi_filename"), split = column("split");
  if (std::max({style, meter, file, split}) >= header.size()) return false;
  while (std::getline(in, line)) {
    const std::vector<std::string> f = csv_fields(line);
    if (f.size() < header.size() || f[meter] != "4-4") continue;
    if (f[split] != "train" && f[split] != "validation" && f[split] != "test") {
      corpus.failed.push_back(f[file] + ": info.csv's split is '" + f[split] + "' (train, validation or test)");
      continue;
    }
    std::vector<GroovePerformance>& part = f[split] == "train" ? corpus.train : f[split] == "test" ? corpus.test : corpus.validation;
    add_performance(dir, f[file], f[style].substr(0, f[style].find('/')), part, corpus);
  }
  corpus.split_rule = "info.csv's split column (Groove MIDI's train / validation / test), 4/4 performances only";
  return true;
}

}  // namespace

GrooveCorpus load_groove_corpus(const std::string& dir, double validation_fraction) {
  GrooveCorpus corpus;
  if (!load_by_info_csv(dir, corpus)) {
    const FileSplit split = split_files(dir, validation_fraction);
    for (const std::string& f : split.train) add_performance(dir, fs::relative(f, dir).string(), "", corpus.train, corpus);
    for (const std::string& f : split.validation) add_performance(dir, fs::relative(f, dir).string(), "", corpus.validation, corpus);
    corpus.split_rule = split.rule;
  }
  if (corpus.train.empty()) throw Error(dir, "holds no drum performance to train on (MIDI files with drum notes on channel 10)");
  return corpus;
}

GrooveSteps groove_slice(const GrooveSteps& g, int start, int steps) {
  GrooveSteps out;
  out.qpm = g.qpm;
  out.steps = steps;
  const size_t n = size_t(steps) * GrooveSteps::kClasses;
  out.hit.assign(n, 0.f), out.velocity.assign(n, 0.f), out.offset.assign(n, 0.f);
  for (int s = 0; s < steps && start + s < g.steps; ++s)
    for (int c = 0; c < GrooveSteps::kClasses; ++c) {
      const size_t from = g.index(start + s, c), to = out.index(s, c);
      out.hit[to] = g.hit[from], out.velocity[to] = g.velocity[from], out.offset[to] = g.offset[from];
    }
  return out;
}

std::vector<GrooveSteps> groove_windows(const std::vector<GroovePerformance>& performances, int steps, int hop) {
  std::vector<GrooveSteps> out;
  for (const GroovePerformance& p : performances)
    for (int start = 0; start + hop <= p.groove.steps; start += hop) {
      GrooveSteps w = groove_slice(p.groove, start, steps);
      if (w.hits() > 0) out.push_back(std::move(w));
    }
  return out;
}

}  // namespace timbrel::train
