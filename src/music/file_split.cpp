// Which files of a data folder train and which are held out: one rule for every trainer.
#include "music/file_split.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>

#include "timbrel/error.h"
#include "util/csv.h"

namespace timbrel {
namespace {

namespace fs = std::filesystem;

// FNV-1a: a split that does not change with the file order or the platform.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// relative path -> split, from info.csv; empty when there is no usable csv.
std::map<std::string, std::string> csv_split(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::ifstream in(dir + "/info.csv");
  if (!in) return out;
  std::string line;
  if (!std::getline(in, line)) return out;
  auto header = csv_fields(line);
  auto col = [&](const std::string& name) { return size_t(std::find(header.begin(), header.end(), name) - header.begin()); };
  size_t file_col = col("midi_filename"), split_col = col("split");
  if (file_col >= header.size() || split_col >= header.size()) return out;
  while (std::getline(in, line)) {
    auto f = csv_fields(line);
    if (f.size() > std::max(file_col, split_col)) out[f[file_col]] = f[split_col];
  }
  return out;
}

}  // namespace

std::vector<std::string> list_midi_files(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(dir, "no such data folder");
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".mid" || ext == ".midi") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(dir, "no MIDI files (.mid, .midi) in the folder");
  return files;
}

FileSplit split_files(const std::string& dir, double validation_fraction) {
  FileSplit out;
  auto files = list_midi_files(dir);
  auto csv = csv_split(dir);
  if (!csv.empty()) {
    out.rule = "info.csv split column (train -> train, validation -> validation, test unused)";
    for (const auto& f : files) {
      auto it = csv.find(fs::relative(f, dir).string());
      if (it == csv.end()) continue;
      if (it->second == "train") out.train.push_back(f);
      else if (it->second == "validation") out.validation.push_back(f);
    }
  } else {
    const uint64_t buckets = 1000, cut = uint64_t(validation_fraction * buckets + 0.5);
    out.rule = "by file: FNV-1a hash of the relative path mod 1000 < " + std::to_string(cut) + " -> validation";
    for (const auto& f : files) (fnv1a(fs::relative(f, dir).string()) % buckets < cut ? out.validation : out.train).push_back(f);
  }
  return out;
}

}  // namespace timbrel
