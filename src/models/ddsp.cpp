// The public Ddsp: the decoder network is the torch module's; presets and the synthesizers are here.
#include <algorithm>
#include <filesystem>

#include "models/ddsp_card.h"
#include "models/torch_module.h"
#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "timbrel/error.h"
#include "timbrel/timbre_spec.h"
#include "util/file_io.h"

namespace timbrel {

nlohmann::json ddsp_card_of(const std::string& path) {
  const std::string file = path + "/model.json";
  if (!std::filesystem::is_regular_file(file)) return nullptr;
  nlohmann::json j = nlohmann::json::parse(read_text_file(file), nullptr, false);
  return j.is_discarded() || !j.is_object() ? nlohmann::json(nullptr) : j;
}

std::string card_text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

bool is_ddsp_model(const std::string& path) {
  const nlohmann::json j = ddsp_card_of(path);
  if (card_text(j, "architecture") == "ddsp") return true;
  // A graph model whose weights are DDSP's decoder (Magenta's other graphs are not DDSP).
  return card_text(j, "format") == "graph-model" && j.dump().find("dilated_conv_decoder") != std::string::npos;
}

bool is_ddsp_bank(const std::string& path) { return std::filesystem::is_regular_file(std::filesystem::path(path) / "bank.json"); }

const std::vector<std::vector<float>>* DdspInfo::envelope_of(const std::string& preset) const {
  const auto at = std::find(presets.begin(), presets.end(), preset);
  if (at == presets.end() || size_t(at - presets.begin()) >= preset_envelopes.size()) return nullptr;
  const auto& bands = preset_envelopes[size_t(at - presets.begin())];
  return bands.empty() ? nullptr : &bands;
}

Ddsp::Impl::~Impl() = default;

Ddsp::Ddsp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ddsp::~Ddsp() = default;
Ddsp::Ddsp(Ddsp&&) noexcept = default;
Ddsp& Ddsp::operator=(Ddsp&&) noexcept = default;
const DdspInfo& Ddsp::info() const { return impl_->info; }

Ddsp Ddsp::load(const std::string& path) {
  if (!std::filesystem::is_directory(path)) throw Error(path, "is not a folder (a DDSP TF.js graph model: model.json + shard)");
  return Ddsp(torch_module().load_ddsp(path));
}

std::pair<std::string, bool> Ddsp::preset_for_program(int program) const {
  const DdspInfo& i = impl_->info;
  if (i.presets.empty()) return {"", false};
  for (size_t k = 0; k < i.presets.size(); ++k)
    if (i.preset_programs[k] == program) return {i.presets[k], true};
  for (size_t k = 0; k < i.presets.size(); ++k)  // General MIDI families are runs of 8 programs
    if (i.preset_programs[k] >= 0 && i.preset_programs[k] / 8 == program / 8) return {i.presets[k], false};
  return {i.presets.front(), false};
}

std::vector<float> Ddsp::instrument(const std::string& spec) const {
  const DdspInfo& i = impl_->info;
  if (i.presets.empty()) return {};
  const TimbreSpec parsed = parse_timbre_spec(spec);
  std::string name;
  if (parsed.kind == TimbreSpec::Kind::Preset) {
    name = parsed.name;
    if (std::find(i.presets.begin(), i.presets.end(), name) == i.presets.end())
      throw Error(spec, "is not a preset of this DDSP model");
  } else if (parsed.kind == TimbreSpec::Kind::Program) {
    name = preset_for_program(parsed.program).first;
  } else {
    throw Error(spec, "expected preset:NAME or program:N");
  }
  return impl_->embedding(size_t(std::find(i.presets.begin(), i.presets.end(), name) - i.presets.begin()));
}

DdspControls Ddsp::controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                            const std::vector<float>& instrument) const {
  const DdspInfo& i = impl_->info;
  if (instrument.empty() && !i.presets.empty()) return impl_->controls(f0_hz, loudness_db, this->instrument("preset:" + i.presets.front()));
  return impl_->controls(f0_hz, loudness_db, instrument);
}

std::vector<float> Ddsp::synthesize(const DdspControls& c, const std::vector<float>& f0_hz, bool noise, uint64_t seed) const {
  const DdspInfo& i = impl_->info;
  if (f0_hz.size() != c.frames || c.amplitude.size() != c.frames || c.distribution.size() != c.frames * size_t(i.harmonics) ||
      c.noise.size() != c.frames * size_t(i.noise_bands))
    throw Error("controls", "do not match f0_hz's frames and the model's harmonics and noise bands");
  std::vector<float> audio = synth::harmonic_synthesis(f0_hz, c.amplitude, c.distribution, i.harmonics, i.sample_rate, i.hop);
  if (noise) {
    const std::vector<float> n = synth::filtered_noise(c.noise, i.noise_bands, i.hop, seed);
    for (size_t k = 0; k < audio.size(); ++k) audio[k] += n[k];
  }
  return audio;
}

}  // namespace timbrel
