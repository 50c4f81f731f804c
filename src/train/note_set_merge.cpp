// Joining the shards of a note set (`timbrel dataset notes --shard i/n`, then `dataset merge`).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "train/half_npy_writer.h"
#include "train/note_dataset.h"
#include "util/atomic_file.h"

namespace fs = std::filesystem;

namespace timbrel::train {
namespace {

struct ShardIndex {
  std::string dir;
  nlohmann::json doc;
  int index = 0, count = 0;
};

ShardIndex read_shard(const std::string& dir) {
  const std::string path = dir + "/index.json";
  if (!fs::exists(path)) throw Error(dir, "not a note set: no index.json");
  ShardIndex s;
  s.dir = dir;
  try {
    std::ifstream in(path);
    s.doc = nlohmann::json::parse(in);
    if (s.doc.value("format", "") != "timbrel-notes") throw Error(path, "not a timbrel note index");
    if (!s.doc.contains("shard")) throw Error(path, "is not a shard (made without `--shard`)");
    s.index = s.doc.at("shard").at("index").get<int>();
    s.count = s.doc.at("shard").at("count").get<int>();
    for (const auto& n : s.doc.at("notes")) n.at("order").get<std::vector<int>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("invalid shard index: ") + e.what());
  }
  return s;
}

// Everything but the notes and the shard must be equal: the shards of one set.
nlohmann::json set_description(nlohmann::json doc) {
  doc.erase("notes");
  doc.erase("shard");
  return doc;
}

// The shards in index order, checked to be 0..n-1 of one set, each once.
std::vector<ShardIndex> read_shards(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw Error("shard_dirs", "no shards to merge");
  std::vector<ShardIndex> shards;
  for (const auto& d : dirs) shards.push_back(read_shard(d));
  std::sort(shards.begin(), shards.end(), [](const ShardIndex& a, const ShardIndex& b) { return a.index < b.index; });
  const int count = shards[0].count;
  const nlohmann::json description = set_description(shards[0].doc);
  for (size_t i = 0; i < shards.size(); ++i) {
    const ShardIndex& s = shards[i];
    if (s.count != count)
      throw Error(s.dir, "is shard " + std::to_string(s.index) + " of " + std::to_string(s.count) + ", the others of " + std::to_string(count));
    if (i > 0 && s.index == shards[i - 1].index)
      throw Error(s.dir, "is shard " + std::to_string(s.index) + " again (also " + shards[i - 1].dir + ")");
    if (set_description(s.doc) != description)
      throw Error(s.dir, "was made with other options (sources, pitches, velocities or split) than " + shards[0].dir);
  }
  for (int want = 0, at = 0; want < count; ++want, ++at)
    if (at >= int(shards.size()) || shards[size_t(at)].index != want)
      throw Error("shard_dirs", "shard " + std::to_string(want) + " of " + std::to_string(count) + " is missing");
  return shards;
}

struct Row {
  std::vector<int> order;
  size_t shard, note;
};

}  // namespace

NoteSetReport merge_note_sets(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
  const std::vector<ShardIndex> shards = read_shards(shard_dirs);
  std::vector<Row> rows;
  for (size_t s = 0; s < shards.size(); ++s) {
    const auto& notes = shards[s].doc.at("notes");
    for (size_t i = 0; i < notes.size(); ++i) rows.push_back({notes[i].at("order").get<std::vector<int>>(), s, i});
  }
  if (rows.empty()) throw Error(out_dir, "no audible notes in the shards");
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.order < b.order; });

  std::vector<std::unique_ptr<NoteSet>> sets;  // empty shards have no arrays to map
  for (const auto& s : shards) sets.push_back(s.doc.at("notes").empty() ? nullptr : std::make_unique<NoteSet>(NoteSet::open(s.dir)));
  const int rate = shards[0].doc.value("sample_rate", kNoteSampleRate);
  const size_t samples = note_samples(rate);
  const bool with_spectrograms = rate == kNoteSampleRate;  // as build_note_set stores them
  fs::create_directories(out_dir);
  std::unique_ptr<HalfNpyWriter> spectrograms;
  if (with_spectrograms)
    spectrograms = std::make_unique<HalfNpyWriter>(out_dir + "/spectrograms.npy", std::vector<int64_t>{kSpectrogramFrames, kSpectrogramBins, 2});
  HalfNpyWriter audio(out_dir + "/audio.npy", {int64_t(samples)});
  nlohmann::json doc = set_description(shards[0].doc), notes = nlohmann::json::array();
  NoteSetReport summary;
  std::set<std::string> presets;
  for (const Row& r : rows) {
    if (spectrograms) spectrograms->append_halves(sets[r.shard]->spectrogram(r.note), kSpectrogramValues);
    audio.append_halves(sets[r.shard]->audio(r.note), samples);
    nlohmann::json n = shards[r.shard].doc.at("notes")[r.note];
    n.erase("order");
    const std::string split = n.at("split").get<std::string>();
    ++(split == "train" ? summary.train : split == "validation" ? summary.validation : summary.test);
    presets.insert(n.at("preset").get<std::string>());
    notes.push_back(std::move(n));
  }
  doc["notes"] = std::move(notes);
  summary.notes = rows.size();
  summary.presets = presets.size();
  if (spectrograms) spectrograms->commit(rows.size());
  audio.commit(rows.size());
  const std::string text = doc.dump(1) + "\n";
  write_file_atomically(out_dir + "/index.json", text.data(), text.size());
  return summary;
}

}  // namespace timbrel::train
