// The public Ddsp API: a Magenta DDSP graph model's decoder in libtorch + the CPU synthesizers.
#include "timbrel/ddsp.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "nn/ddsp_net.h"
#include "models/model_impls.h"
#include "nn/model_folder.h"
#include "models/ddsp_card.h"
#include "nn/ddsp_model.h"
#include "timbrel/error.h"
#include "timbrel/timbre_spec.h"
#include "util/file_io.h"

namespace timbrel {
namespace {

// magenta.js's settings of Magenta's four DDSP models (music/src/ddsp/constants.ts, PRESET_MODELS):
// averageMaxLoudness, meanLoudness, meanPitch, postGain.
struct KnownSettings {
  const char* name;
  float max_loudness, mean_loudness, mean_pitch, post_gain;
};
constexpr KnownSettings kMagentaSettings[] = {
    {"violin", -48.6f, -68.5f, 62.0f, 2.0f},
    {"tenor_saxophone", -44.7f, -56.0f, 58.9f, 0.9f},
    {"trumpet", -61.7f, -72.5f, 68.6f, 1.5f},
    {"flute", -45.9f, -70.6f, 63.2f, 4.0f},
};

// settings.json beside model.json (what magenta.js 1.23.1 reads), else Magenta's values when the
// folder carries one of its model names; else the statistics stay unknown.
void read_settings(const std::string& dir, DdspInfo& info) {
  const std::string file = dir + "/settings.json";
  if (std::filesystem::exists(file)) {
    const nlohmann::json j = nlohmann::json::parse(read_text_file(file), nullptr, false);
    auto number = [&](const char* key) {
      if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_number())
        throw Error(file, std::string("needs a number \"") + key + "\" (averageMaxLoudness, meanLoudness, meanPitch, postGain)");
      return j[key].get<float>();
    };
    info.max_loudness_db = number("averageMaxLoudness");
    info.mean_loudness_db = number("meanLoudness");
    info.mean_pitch = number("meanPitch");
    info.post_gain = number("postGain");
    info.settings = "settings.json";
    return;
  }
  const std::string name = std::filesystem::path(dir).lexically_normal().filename().string();
  const std::string base = name.empty() ? std::filesystem::path(dir).lexically_normal().parent_path().filename().string() : name;
  for (const KnownSettings& k : kMagentaSettings)
    if (base == k.name) {
      info.max_loudness_db = k.max_loudness;
      info.mean_loudness_db = k.mean_loudness;
      info.mean_pitch = k.mean_pitch;
      info.post_gain = k.post_gain;
      info.settings = std::string("built in (Magenta's ") + k.name + ")";
    }
}

// Frames [from, from + count) of `v`, padded with `pad` past its end.
std::vector<float> window_of(const std::vector<float>& v, size_t from, size_t count, float pad) {
  std::vector<float> w(count, pad);
  for (size_t i = 0; i < count && from + i < v.size(); ++i) w[i] = v[from + i];
  return w;
}

}  // namespace

struct TorchDdsp final : detail::DdspImpl {
  DdspControls controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                        const std::vector<float>& instrument) const override;
  std::vector<float> embedding(size_t preset) const override {
    const torch::Tensor e = (*net)->embeddings()[int64_t(preset)].contiguous();
    return std::vector<float>(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
  }
  std::unique_ptr<nn::DdspNet> net;
};

namespace {

// "envelopes": {"rate": R, ["first_pitch": P, "pitch_step": S,] "presets": {NAME: bands}}: optional;
// bands is one shape [dB, ...] or a list of them (one per pitch band); every shape has at least
// two finite values <= 0.5 dB (a peak of 0 dB), for a known preset.
void read_envelopes(const nlohmann::json& card, const std::string& subject, DdspInfo& info) {
  const auto it = card.find("envelopes");
  if (it == card.end()) return;
  const nlohmann::json& e = *it;
  if (!e.is_object() || !e.contains("rate") || !e["rate"].is_number() || !(e["rate"].get<double>() > 0) || !e.contains("presets") ||
      !e["presets"].is_object())
    throw Error(subject, "\"envelopes\" must be {\"rate\": values a second, \"presets\": {name: [dB, ...] or [[dB, ...], ...]}}");
  info.envelope_rate = e["rate"].get<double>();
  info.envelope_first_pitch = e.value("first_pitch", 0);
  info.envelope_pitch_step = e.value("pitch_step", 0);
  if (info.envelope_pitch_step < 0) throw Error(subject, "envelopes: pitch_step must not be negative");
  info.preset_envelopes.assign(info.presets.size(), {});
  for (const auto& [name, value] : e["presets"].items()) {
    const auto at = std::find(info.presets.begin(), info.presets.end(), name);
    if (at == info.presets.end()) throw Error(subject, "envelope for an unknown preset '" + name + "'");
    auto& bands = info.preset_envelopes[size_t(at - info.presets.begin())];
    const bool banded = value.is_array() && !value.empty() && value.front().is_array();
    for (const auto& shape : banded ? value : nlohmann::json::array({value})) {
      if (!shape.is_array() || shape.size() < 2) throw Error(subject, "an envelope of '" + name + "' needs two or more values");
      bands.emplace_back();
      for (const auto& v : shape) {
        if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() > 0.5)
          throw Error(subject, "an envelope of '" + name + "' holds a value that is not a finite level <= 0 dB");
        bands.back().push_back(v.get<float>());
      }
    }
  }
}

// The card's sample rate and hop (cards before 48 kHz models have neither: 16 kHz, hop 64). The
// decoder runs at 250 frames a second whatever the rate; its windows are counted in frames.
void read_rate(const nlohmann::json& card, const std::string& subject, DdspInfo& info) {
  const nlohmann::json rate = card.value("sample_rate", nlohmann::json(16000)), hop = card.value("hop", nlohmann::json(64));
  if (!rate.is_number_integer() || !hop.is_number_integer()) throw Error(subject, "sample_rate and hop must be integers");
  info.sample_rate = rate.get<int>();
  info.hop = hop.get<int>();
  if (info.sample_rate < 8000 || info.sample_rate > 192000) throw Error(subject, "sample_rate " + std::to_string(info.sample_rate) + " is outside 8000..192000");
  if (info.hop < 1 || info.sample_rate != info.hop * 250)
    throw Error(subject, "hop " + std::to_string(info.hop) + " does not make 250 frames a second at " + std::to_string(info.sample_rate) + " Hz");
}

// A model trained here: model.json ("architecture": "ddsp", hparams, presets, programs,
// statistics) + weights.safetensors.
void load_trained(const std::string& path, TorchDdsp& impl) {
  nn::ModelFolder folder = nn::read_model_folder(path, "ddsp");
  const std::string card = path + "/model.json";
  const nn::DdspConfig config = nn::ddsp_config_from_json(folder.card.value("hparams", nlohmann::json()), card);
  impl.net = std::make_unique<nn::DdspNet>(config);
  (*impl.net)->load(folder.tensors, path);
  DdspInfo& info = impl.info;
  info.format = "timbrel ddsp";
  info.harmonics = config.harmonics;
  info.noise_bands = config.noise_bands;
  read_rate(folder.card, card, info);
  const nlohmann::json presets = folder.card.value("presets", nlohmann::json::array());
  if (!presets.is_array() || int(presets.size()) != config.instruments)
    throw Error(card, "needs \"presets\": one name per instrument embedding (" + std::to_string(config.instruments) + ")");
  const nlohmann::json programs = folder.card.value("timbre_programs", nlohmann::json::object());
  for (const auto& p : presets) {
    if (!p.is_string()) throw Error(card, "presets must be names");
    info.presets.push_back(p.get<std::string>());
    const auto it = programs.is_object() ? programs.find(info.presets.back()) : programs.end();
    info.preset_programs.push_back(it != programs.end() && it->is_object() ? it->value("program", -1) : -1);
  }
  read_envelopes(folder.card, card, info);
  const nlohmann::json stats = folder.card.value("statistics", nlohmann::json::object());
  if (stats.is_object() && stats.contains("max_loudness_db") && stats.contains("mean_loudness_db") && stats.contains("mean_pitch")) {
    info.max_loudness_db = stats["max_loudness_db"].get<float>();
    info.mean_loudness_db = stats["mean_loudness_db"].get<float>();
    info.mean_pitch = stats["mean_pitch"].get<float>();
    info.settings = "model card";
    if (stats.contains("min_pitch") && stats.contains("max_pitch") && stats["min_pitch"].is_number_integer() &&
        stats["max_pitch"].is_number_integer()) {
      info.min_pitch = stats["min_pitch"].get<int>();
      info.max_pitch = stats["max_pitch"].get<int>();
    }
  }
}

}  // namespace

namespace {

// A model trained here (a model folder of architecture "ddsp"), not a Magenta graph.
bool trained_here(const std::string& path) { return card_text(ddsp_card_of(path), "architecture") == "ddsp"; }

}  // namespace

std::unique_ptr<detail::DdspImpl> nn::load_ddsp(const std::string& path) {
  auto impl = std::make_unique<TorchDdsp>();
  if (trained_here(path)) {
    load_trained(path, *impl);
    (*impl->net)->eval();
    for (const auto& p : (*impl->net)->parameters()) impl->info.parameters += p.numel();
    return impl;
  }
  nn::DdspConfig config;
  impl->net = std::make_unique<nn::DdspNet>(config);
  (*impl->net)->load(nn::read_ddsp_graph_weights(path, config), path);
  (*impl->net)->eval();
  impl->info.format = "tfjs graph";
  impl->info.harmonics = config.harmonics;
  impl->info.noise_bands = config.noise_bands;
  for (const auto& p : (*impl->net)->parameters()) impl->info.parameters += p.numel();
  read_settings(path, impl->info);
  return impl;
}

DdspControls TorchDdsp::controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                            const std::vector<float>& instrument) const {
  if (f0_hz.empty()) throw Error("f0_hz", "needs at least one frame");
  if (loudness_db.size() != f0_hz.size())
    throw Error("loudness_db", "has " + std::to_string(loudness_db.size()) + " frames, f0_hz " + std::to_string(f0_hz.size()));
  for (size_t i = 0; i < f0_hz.size(); ++i)
    if (!std::isfinite(f0_hz[i]) || !std::isfinite(loudness_db[i])) throw Error("f0_hz", "and loudness_db must be finite (frame " + std::to_string(i) + ")");
  const DdspInfo& in = info;
  const size_t T = f0_hz.size(), W = size_t(in.window_frames), step = size_t(in.window_step), H = size_t(in.harmonics),
               N = size_t(in.noise_bands);
  const size_t windows = T <= W ? 1 : 1 + (T - W + step - 1) / step;
  DdspControls c{T, std::vector<float>(T), std::vector<float>(T * H), std::vector<float>(T * N)};
  constexpr size_t kBatch = 8;  // windows per forward pass (bounds the activations' memory)
  torch::NoGradGuard no_grad;
  torch::Tensor condition;
  if (!in.presets.empty()) {
    const std::vector<float>& e = instrument;
    if (int64_t(e.size()) != (*net)->embeddings().size(1))
      throw Error("instrument", "has " + std::to_string(e.size()) + " values, the model's embeddings " +
                                    std::to_string((*net)->embeddings().size(1)));
    condition = torch::tensor(e).view({1, -1});
  }
  for (size_t first = 0; first < windows; first += kBatch) {
    const size_t count = std::min(kBatch, windows - first);
    std::vector<float> f0, ld;
    for (size_t w = first; w < first + count; ++w) {
      const std::vector<float> a = window_of(f0_hz, w * step, W, -1.0f), b = window_of(loudness_db, w * step, W, -120.0f);
      f0.insert(f0.end(), a.begin(), a.end());
      ld.insert(ld.end(), b.begin(), b.end());
    }
    auto rows = [&](std::vector<float>& v) { return torch::from_blob(v.data(), {int64_t(count), int64_t(W)}, torch::kFloat); };
    const nn::DdspOutputs o = (*net)->forward(rows(f0), rows(ld), condition.defined() ? condition.expand({int64_t(count), -1}) : condition);
    const torch::Tensor amp = o.amplitude.contiguous(), dist = o.distribution.contiguous(), noise = o.noise.contiguous();
    for (size_t w = first; w < first + count; ++w) {
      const size_t b = w - first, overlap = W - step;
      for (size_t j = 0; j < W && w * step + j < T; ++j) {
        const size_t t = w * step + j;
        // This window's weight: rises over its overlap with the previous one, falls over the next's.
        float weight = 1;
        if (w > 0 && j < overlap) weight = (float(j) + 0.5f) / float(overlap);
        if (w + 1 < windows && j >= step) weight = 1 - (float(j - step) + 0.5f) / float(overlap);
        c.amplitude[t] += weight * amp.data_ptr<float>()[b * W + j];
        const float* d = dist.data_ptr<float>() + (b * W + j) * H;
        for (size_t k = 0; k < H; ++k) c.distribution[t * H + k] += weight * d[k];
        const float* n = noise.data_ptr<float>() + (b * W + j) * N;
        for (size_t k = 0; k < N; ++k) c.noise[t * N + k] += weight * n[k];
      }
    }
  }
  return c;
}

}  // namespace timbrel
