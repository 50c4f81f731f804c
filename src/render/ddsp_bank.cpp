#include "render/ddsp_bank.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "timbrel/error.h"

namespace timbrel {
namespace fs = std::filesystem;
namespace {

constexpr int kPrograms = 128;

nlohmann::json read_bank_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw Error(file, "cannot be read");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(file, "is not a JSON object");
  if (!j.contains("models") || !j["models"].is_object() || j["models"].empty())
    throw Error(file, "needs \"models\": {\"NAME\": \"PATH\", ...}");
  return j;
}

}  // namespace

std::string ddsp_family_model(int program, const std::vector<std::string>& names) {
  const char* family = program >= 40 && program <= 55   ? "violin"
                       : program >= 56 && program <= 63 ? "trumpet"
                       : program >= 64 && program <= 71 ? "tenor_saxophone"
                       : program >= 72 && program <= 79 ? "flute"
                                                        : "";
  return std::find(names.begin(), names.end(), family) != names.end() ? family : "";
}

DdspBank::DdspBank(const std::string& path) : path_(path) {
  if (fs::exists(fs::path(path) / "model.json")) {
    std::string name = fs::path(path).lexically_normal().filename().string();
    if (name.empty()) name = fs::path(path).lexically_normal().parent_path().filename().string();
    models_.emplace(name, Ddsp::load(path));
    fallback_ = name;
    single_ = true;
    return;
  }
  if (!fs::is_directory(path)) throw Error(path, "is not a DDSP model folder (model.json), a bank (bank.json) or a folder of them");
  if (is_ddsp_bank(path)) load_bank_file(path);
  else load_folder(path);
}

void DdspBank::load_bank_file(const std::string& folder) {
  const std::string file = (fs::path(folder) / "bank.json").string();
  const nlohmann::json j = read_bank_file(file);
  for (const auto& [name, where] : j["models"].items()) {
    if (!where.is_string()) throw Error(file, "model \"" + name + "\" needs a folder path");
    const fs::path model = fs::path(folder) / where.get<std::string>();
    if (!fs::exists(model / "model.json")) throw Error(file, "model \"" + name + "\": no model.json in " + model.string());
    models_.emplace(name, Ddsp::load(model.string()));
  }
  if (j.contains("default") && !j["default"].is_string()) throw Error(file, "\"default\" must name a model of the bank");
  fallback_ = j.value("default", models_.begin()->first);
  if (!models_.count(fallback_)) throw Error(file, "\"default\" names no model of the bank: " + fallback_);
  const nlohmann::json routes = j.value("programs", nlohmann::json::object());
  if (!routes.is_object()) throw Error(file, "needs \"programs\": {\"NAME\": [programs], ...}");
  for (const auto& [name, programs] : routes.items()) {
    if (!programs.is_array()) throw Error(file, "\"programs\" of " + name + " must be a list of General MIDI programs 0..127");
    if (!models_.count(name)) throw Error(file, "\"programs\" names no model of the bank: " + name);
    for (const auto& p : programs) {
      if (!p.is_number_integer() || p.get<int64_t>() < 0 || p.get<int64_t>() >= kPrograms)
        throw Error(file, "\"programs\" of " + name + " must be General MIDI programs 0..127, not " + p.dump());
      const auto [at, fresh] = routes_.emplace(p.get<int>(), name);
      if (!fresh) throw Error(file, "program " + p.dump() + " is listed for both " + at->second + " and " + name);
    }
  }
  for (int p = 0; p < kPrograms; ++p) routes_.emplace(p, fallback_);
}

void DdspBank::load_folder(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_directory() && fs::exists(entry.path() / "model.json"))
      models_.emplace(entry.path().filename().string(), Ddsp::load(entry.path().string()));
  if (models_.empty()) throw Error(folder, "holds no DDSP model (no model.json in it or in its sub-folders)");
  fallback_ = models_.count("violin") ? "violin" : models_.begin()->first;
  for (int p = 0; p < kPrograms; ++p) {
    size_t fewest = 0;
    for (const auto& [name, model] : models_) {
      const size_t presets = model.info().presets.size();
      if (model.preset_for_program(p).second && (fewest == 0 || presets < fewest)) {
        routes_[p] = name;
        fewest = presets;
      }
    }
  }
}

std::vector<std::string> DdspBank::names() const {
  std::vector<std::string> out;
  for (const auto& [name, model] : models_) out.push_back(name);
  return out;
}

DdspVoice DdspBank::voice_of(const std::string& name, const std::string& preset) const {
  const Ddsp& model = models_.at(name);
  if (preset.empty()) return {&model, name, {}, {}};
  return {&model, name + "/" + preset, model.instrument("preset:" + preset), learned_envelopes(model.info(), preset)};
}

const Ddsp& DdspBank::model(const std::string& name) const {
  const auto at = models_.find(name);
  if (at == models_.end()) throw Error(path_, "has no DDSP model named " + name);
  return at->second;
}

std::string DdspBank::route(int program, bool* fell_back) const {
  if (fell_back) *fell_back = false;
  if (single_) return fallback_;
  const auto routed = routes_.find(program);
  const std::string name = routed != routes_.end() ? routed->second : ddsp_family_model(program, names());
  if (!name.empty()) return name;
  if (fell_back) *fell_back = true;
  return fallback_;
}

DdspVoice DdspBank::voice(int program, std::map<int, std::string>* substituted) const {
  bool fell_back = false;
  const std::string name = route(program, &fell_back);
  if (fell_back && substituted) (*substituted)[program] = name;
  const Ddsp& model = models_.at(name);
  if (model.info().presets.empty()) return voice_of(name, "");
  // A model with presets: the one trained from this program, else one of its family.
  const auto [preset, exact] = model.preset_for_program(program);
  if (!exact && substituted) (*substituted)[program] = name + " preset '" + preset + "'";
  return voice_of(name, preset);
}

std::vector<std::string> DdspBank::presets() const {
  std::vector<std::string> out = models_.at(fallback_).info().presets;
  for (const auto& [name, model] : models_)
    for (const std::string& p : model.info().presets)
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  return out;
}

DdspVoice DdspBank::preset_voice(const std::string& preset, int* program) const {
  // The models that have it: the one its program is routed to first.
  std::vector<std::string> order;
  for (const auto& [name, model] : models_) {
    const DdspInfo& info = model.info();
    const auto at = std::find(info.presets.begin(), info.presets.end(), preset);
    if (at == info.presets.end()) continue;
    const int p = info.preset_programs[size_t(at - info.presets.begin())];
    const auto routed = routes_.find(p);
    if (p >= 0 && routed != routes_.end() && routed->second == name) order.insert(order.begin(), name);
    else order.push_back(name);
  }
  if (order.empty()) {
    if (presets().empty()) throw Error("preset:" + preset, path_ + " has no presets (play it as program:N)");
    throw Error("preset:" + preset, "is not a preset of " + path_);
  }
  const DdspInfo& info = models_.at(order.front()).info();
  if (program) *program = info.preset_programs[size_t(std::find(info.presets.begin(), info.presets.end(), preset) - info.presets.begin())];
  return voice_of(order.front(), preset);
}

}  // namespace timbrel
