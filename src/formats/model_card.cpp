#include "formats/model_card.h"

#include <cmath>

#include "formats/json_text.h"
#include "timbrel/error.h"

namespace timbrel::formats {
namespace {

int int_in(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi, const std::string& subject) {
  if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() < lo || j[key].get<int64_t>() > hi)
    throw Error(subject, std::string("hparams.") + key + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return int(j[key].get<int64_t>());
}

double number_or(const nlohmann::json& j, const char* key, double fallback, const std::string& subject) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number() || !std::isfinite(j[key].get<double>()))
    throw Error(subject, std::string("hparams.") + key + " must be a finite number");
  return j[key].get<double>();
}

std::vector<int> size_list(const nlohmann::json& j, const char* key, size_t count, const std::string& subject) {
  if (!j.contains(key)) throw Error(subject, std::string("model.json hparams lack '") + key + "'");
  const auto& a = j[key];
  if (!a.is_array() || a.empty() || (count && a.size() != count))
    throw Error(subject, std::string("'") + key + "' must be a list of " + (count ? std::to_string(count) + " " : "") + "sizes");
  std::vector<int> v;
  for (const auto& x : a) {
    if (!x.is_number_integer() || x.get<int64_t>() < 1 || x.get<int64_t>() > 8192)
      throw Error(subject, std::string("'") + key + "' has an invalid size (1..8192)");
    v.push_back(int(x.get<int64_t>()));
  }
  return v;
}

// `n` finite float32 values, or nullopt when `j` is anything else.
std::optional<std::vector<float>> float_array(const nlohmann::json& j, size_t n) {
  if (!j.is_array() || j.size() != n) return std::nullopt;
  std::vector<float> v;
  for (const auto& x : j) {
    if (!x.is_number()) return std::nullopt;
    const double d = x.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 3.4e38) return std::nullopt;
    v.push_back(float(d));
  }
  return v;
}

}  // namespace

nlohmann::json parse_model_card(const std::string& text, const std::string& file, const std::string& architecture) {
  nlohmann::json card = parse_json_text(text, file);
  if (!card.is_object() || !card.contains("architecture") || !card["architecture"].is_string())
    throw Error(file, "needs a string \"architecture\"");
  const std::string arch = card["architecture"].get<std::string>();
  if (!architecture.empty() && arch != architecture)
    throw Error(file, "architecture is \"" + arch + "\", expected \"" + architecture + "\"");
  return card;
}

nlohmann::json MusicVaeConfig::to_json() const {
  nlohmann::json j = {{"kind", kind},         {"steps", steps},         {"classes", classes},
                      {"z_size", z_size},     {"encoder", encoder},     {"decoder", decoder},
                      {"free_bits", free_bits}, {"max_beta", max_beta}, {"beta_rate", beta_rate}};
  if (hierarchical()) j["conductor"] = conductor, j["bars"] = bars;
  if (!bar_encoder.empty()) j["bar_encoder"] = bar_encoder;
  if (!control.empty()) j["control"] = control;
  return j;
}

MusicVaeConfig MusicVaeConfig::from_json(const nlohmann::json& j, const std::string& subject) {
  if (!j.is_object()) throw Error(subject, "model.json hparams must be an object");
  MusicVaeConfig c;
  if (!j.contains("kind") || !j["kind"].is_string()) throw Error(subject, "hparams.kind must be \"melody\" or \"drums\"");
  c.kind = j["kind"].get<std::string>();
  if (c.kind != "melody" && c.kind != "drums") throw Error(subject, "hparams.kind must be \"melody\" or \"drums\", not \"" + c.kind + "\"");
  c.steps = int_in(j, "steps", 1, 4096, subject);
  c.classes = int_in(j, "classes", 2, 4096, subject);
  if (c.kind == "melody" && c.classes != 90) throw Error(subject, "melody models have 90 classes");
  if (c.kind == "drums" && c.classes != 512) throw Error(subject, "drums models have 512 classes");
  c.z_size = int_in(j, "z_size", 1, 8192, subject);
  c.encoder = size_list(j, "encoder", 0, subject);
  c.decoder = size_list(j, "decoder", 0, subject);
  if (j.contains("conductor")) {
    c.conductor = size_list(j, "conductor", 0, subject);
    c.bars = int_in(j, "bars", 1, 256, subject);
    if (c.steps % c.bars != 0) throw Error(subject, "hparams.steps must be a whole number of steps per bar (steps / bars)");
  }
  if (j.contains("bar_encoder")) {
    c.bar_encoder = size_list(j, "bar_encoder", 0, subject);
    if (!c.hierarchical() && !c.bar_encoder.empty()) throw Error(subject, "hparams.bar_encoder needs a hierarchical model (conductor, bars)");
  }
  if (j.contains("control")) {
    if (!j["control"].is_string() || j["control"] != "triad_chords") throw Error(subject, "hparams.control must be \"triad_chords\"");
    if (c.kind != "melody" || c.hierarchical()) throw Error(subject, "hparams.control needs a flat melody model");
    c.control = "triad_chords";
  }
  c.free_bits = number_or(j, "free_bits", 0.0, subject);
  c.max_beta = number_or(j, "max_beta", 0.2, subject);
  c.beta_rate = number_or(j, "beta_rate", 0.99999, subject);
  return c;
}

MusicVaeConfig MusicVaeConfig::melody_small() { return MusicVaeConfig{}; }

MusicVaeConfig MusicVaeConfig::drums_small() {
  MusicVaeConfig c;
  c.kind = "drums";
  c.classes = 512;
  c.free_bits = 48;
  return c;
}

namespace {

// {"mean": [z_size], "std": [z_size]}: finite, std > 0.
LatentPrior::Component latent_gaussian(const nlohmann::json& p, int z_size, const std::string& file, const std::string& where) {
  const std::string what = where + " needs \"mean\" and \"std\": " + std::to_string(z_size) + " finite numbers each";
  if (!p.is_object() || !p.contains("mean") || !p.contains("std")) throw Error(file, what);
  auto mean = float_array(p["mean"], size_t(z_size));
  auto std = float_array(p["std"], size_t(z_size));
  if (!mean || !std) throw Error(file, what);
  for (float s : *std)
    if (!(s > 0)) throw Error(file, where + " std values must be positive");
  return {1.0, std::move(*mean), std::move(*std)};
}

}  // namespace

std::optional<LatentPrior> latent_prior_from_card(const nlohmann::json& card, int z_size, const std::string& file) {
  if (!card.is_object() || !card.contains("latent_prior")) return std::nullopt;
  const auto& p = card["latent_prior"];
  if (!p.is_object()) throw Error(file, "\"latent_prior\" must be an object");
  LatentPrior prior;
  if (!p.contains("components")) {
    prior.components.push_back(latent_gaussian(p, z_size, file, "\"latent_prior\""));
    return prior;
  }
  const auto& parts = p["components"];
  if (!parts.is_array() || parts.empty() || parts.size() > 1024) throw Error(file, "\"latent_prior\" \"components\" must be an array of 1 to 1024 Gaussians");
  double total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string where = "\"latent_prior\" component " + std::to_string(i);
    prior.components.push_back(latent_gaussian(parts[i], z_size, file, where));
    const auto& w = parts[i].is_object() && parts[i].contains("weight") ? parts[i]["weight"] : nlohmann::json();
    if (!w.is_number() || !(w.get<double>() > 0) || !std::isfinite(w.get<double>())) throw Error(file, where + " needs a \"weight\": a finite number above 0");
    total += prior.components.back().weight = w.get<double>();
  }
  if (std::fabs(total - 1.0) > 1e-3) throw Error(file, "\"latent_prior\" component weights must sum to 1 (they sum to " + std::to_string(total) + ")");
  return prior;
}

std::optional<SamplingAdvice> sampling_from_card(const nlohmann::json& card, const std::string& file) {
  if (!card.is_object() || !card.contains("sampling")) return std::nullopt;
  const auto& s = card["sampling"];
  const std::string what = "\"sampling\" needs \"temperature\" (0..10) and \"draw\" (flat, per_decision or keep_density)";
  if (!s.is_object() || !s.contains("temperature") || !s["temperature"].is_number() || !s.contains("draw") || !s["draw"].is_string())
    throw Error(file, what);
  SamplingAdvice a;
  a.temperature = s["temperature"].get<double>();
  if (!(a.temperature >= 0 && a.temperature <= 10)) throw Error(file, what);
  a.draw = parse_step_draw(s["draw"].get<std::string>(), file + " \"sampling\"");
  return a;
}

nlohmann::json sampling_json(const SamplingAdvice& advice) {
  return {{"temperature", advice.temperature}, {"draw", to_string(advice.draw)}};
}

nlohmann::json gansynth_config_json(const GansynthConfig& c) {
  nlohmann::json j = {{"latent_size", c.latent_size}, {"min_pitch", c.min_pitch}, {"pitches", c.pitches}, {"channels", c.channels}};
  if (c.pitch_template) j["pitch_template"] = true;
  if (c.time_depth_blocks) j["time_depth_blocks"] = c.time_depth_blocks;
  return j;
}

GansynthConfig gansynth_config_from_json(const nlohmann::json& j, const std::string& subject) {
  if (!j.is_object()) throw Error(subject, "\"hparams\" must be an object");
  GansynthConfig c;
  c.latent_size = int_in(j, "latent_size", 1, 8192, subject);
  c.min_pitch = int_in(j, "min_pitch", 0, 127, subject);
  c.pitches = int_in(j, "pitches", 1, 128 - c.min_pitch, subject);
  c.channels = size_list(j, "channels", 7, subject);
  if (j.contains("pitch_template")) {
    if (!j["pitch_template"].is_boolean()) throw Error(subject, "hparams.pitch_template must be true or false");
    c.pitch_template = j["pitch_template"].get<bool>();
  }
  if (j.contains("time_depth_blocks")) c.time_depth_blocks = int_in(j, "time_depth_blocks", 0, 6, subject);
  return c;
}

std::map<std::string, std::vector<float>> timbre_presets_from_card(const nlohmann::json& card, int latent_size,
                                                                  const std::string& file) {
  std::map<std::string, std::vector<float>> out;
  if (!card.is_object() || !card.contains("timbres")) return out;
  const auto& t = card["timbres"];
  if (!t.is_object()) throw Error(file, "\"timbres\" must be an object of name: [latent values]");
  for (auto it = t.begin(); it != t.end(); ++it) {
    if (it.key().empty()) throw Error(file, "a timbre has an empty name");
    auto z = float_array(it.value(), size_t(latent_size));
    if (!z)
      throw Error(file, "timbre '" + it.key() + "' must be " + std::to_string(latent_size) + " finite numbers");
    out[it.key()] = std::move(*z);
  }
  return out;
}

std::map<std::string, GmProgram> timbre_programs_from_card(const nlohmann::json& card, const std::string& file) {
  std::map<std::string, GmProgram> out;
  if (!card.is_object() || !card.contains("timbre_programs")) return out;
  const auto& t = card["timbre_programs"];
  const std::string bad = "\"timbre_programs\" must map preset names to {\"bank\": 0..16383, \"program\": 0..127}";
  if (!t.is_object()) throw Error(file, bad);
  for (auto it = t.begin(); it != t.end(); ++it) {
    const auto& v = it.value();
    if (!v.is_object() || !v.contains("bank") || !v.contains("program") || !v["bank"].is_number_integer() ||
        !v["program"].is_number_integer())
      throw Error(file, bad);
    const int64_t bank = v["bank"].get<int64_t>(), program = v["program"].get<int64_t>();
    if (bank < 0 || bank > 16383 || program < 0 || program > 127) throw Error(file, bad + " ('" + it.key() + "' is not)");
    out[it.key()] = {int(bank), int(program)};
  }
  return out;
}

NoteLevels note_levels_from_card(const nlohmann::json& card, const std::string& file) {
  NoteLevels out;
  if (!card.is_object() || !card.contains("note_levels")) return out;
  const auto& l = card["note_levels"];
  const std::string bad = "\"note_levels\" must be {\"min_pitch\": 0..127, \"db\": {preset: [dB or null per pitch]}}";
  if (!l.is_object() || !l.contains("db") || !l["db"].is_object() || !l.contains("min_pitch") || !l["min_pitch"].is_number_integer() ||
      l["min_pitch"].get<int64_t>() < 0 || l["min_pitch"].get<int64_t>() > 127)
    throw Error(file, bad);
  out.min_pitch = int(l["min_pitch"].get<int64_t>());
  for (auto it = l["db"].begin(); it != l["db"].end(); ++it) {
    if (!it.value().is_array() || it.value().size() > 128) throw Error(file, bad + " ('" + it.key() + "' is not)");
    std::vector<double> db;
    for (const auto& x : it.value()) {
      if (x.is_null()) db.push_back(NAN);
      else if (x.is_number() && std::isfinite(x.get<double>()) && std::fabs(x.get<double>()) <= 200) db.push_back(x.get<double>());
      else throw Error(file, bad + " (a level of '" + it.key() + "' is not a number of dB)");
    }
    out.db[it.key()] = std::move(db);
  }
  return out;
}

std::string converter_kind(const std::string& text, const std::string& file) {
  const nlohmann::json j = parse_json_text(text, file);
  if (!j.is_object()) throw Error(file, "expected a JSON object");
  const nlohmann::json* spec = &j;
  if (j.contains("dataConverter")) {
    if (!j["dataConverter"].is_object()) throw Error(file, "\"dataConverter\" must be an object");
    spec = &j["dataConverter"];
  }
  if (!spec->contains("type")) return "";
  if (!(*spec)["type"].is_string()) throw Error(file, "the converter \"type\" must be a string");
  const std::string type = (*spec)["type"].get<std::string>();
  if (type.empty()) return "";
  if (type == "MelodyConverter") return "melody";
  if (type == "DrumsConverter") return "drums";
  throw Error(file, "unsupported data converter '" + type + "' (melody and drums only)");
}

}  // namespace timbrel::formats
