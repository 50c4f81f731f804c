// The public Gansynth: its card's data (timbres, programs, levels) without torch, so that a render
// from the note cache never loads libtorch; the network comes from the torch module on first use.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <tuple>

#include "models/gansynth_weights.h"
#include "models/torch_module.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "timbrel/timbre_spec.h"
#include "util/file_io.h"
#include "util/npy.h"

namespace timbrel {

GansynthNetwork::~GansynthNetwork() = default;

namespace {

// The 90th percentile of the card's note levels: the loudest notes play at the renderer's full
// note level, the kit's and the instrument's balance below it is kept.
double typical_level(const formats::NoteLevels& levels) {
  std::vector<double> all;
  for (const auto& [name, db] : levels.db)
    for (double v : db)
      if (std::isfinite(v)) all.push_back(v);
  if (all.empty()) return 0;
  const size_t k = std::min(all.size() - 1, size_t(0.9 * double(all.size())));
  std::nth_element(all.begin(), all.begin() + long(k), all.end());
  return all[k];
}

// murmur3's finaliser: neighbouring seeds give unrelated LCG streams.
uint32_t mix_seed(uint32_t h) {
  h ^= 0x9e3779b9u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

bool card_says_drums(const nlohmann::json& card) {
  return card.is_object() && card.contains("data") && card["data"].is_object() && card["data"].contains("kind") &&
         card["data"]["kind"] == "drums";
}

}  // namespace

namespace detail {

Gansynth make_gansynth(const GansynthConfig& config, const nlohmann::json& card, const std::string& subject, const std::string& format,
                       const std::string& fingerprint, int64_t parameters,
                       std::function<std::unique_ptr<GansynthNetwork>(const GansynthLog* log)> build) {
  auto impl = std::make_unique<GansynthImpl>();
  impl->info.fingerprint = fingerprint;
  impl->info.config = config;
  impl->info.format = format;
  impl->info.parameters = parameters;
  impl->subject = subject;
  for (auto& [name, z] : formats::timbre_presets_from_card(card, config.latent_size, subject + "/model.json")) {
    impl->info.timbre_names.push_back(name);
    impl->presets[name] = std::move(z);
  }
  impl->programs = formats::timbre_programs_from_card(card, subject + "/model.json");
  impl->info.gm_programs = !impl->programs.empty();
  impl->info.drums = card_says_drums(card);
  impl->levels = formats::note_levels_from_card(card, subject + "/model.json");
  impl->typical_level_db = typical_level(impl->levels);
  impl->card = card.is_null() ? nlohmann::json::object() : card;
  impl->build = std::move(build);
  return ModelAccess::wrap<Gansynth>(std::move(impl));
}

void prepare_network(const Gansynth& model) { ModelAccess::impl(model).network(); }

}  // namespace detail

std::vector<double> lcg_gaussians(size_t count, uint32_t seed) {
  std::vector<double> out;
  out.reserve(count + 1);
  uint32_t s = seed;
  auto u = [&s] {
    s = s * 1664525u + 1013904223u;
    return (double(s) + 1.0) / 4294967297.0;
  };
  const double two_pi = 2 * 3.14159265358979323846;
  while (out.size() < count) {
    double u1 = u(), u2 = u();  // JavaScript evaluates log(u()) before 2 pi u()
    double r = std::sqrt(-2 * std::log(u1)), a = two_pi * u2;
    out.push_back(r * std::cos(a));
    out.push_back(r * std::sin(a));
  }
  out.resize(count);
  return out;
}

GansynthNetwork& Gansynth::Impl::network() const {
  std::call_once(built, [this] {
    std::unique_ptr<GansynthNetwork> n = build(&log);
    if (device != Device::Cpu || precision != Precision::Fp32) n->to(device, precision);
    net = std::move(n);
  });
  return *net;
}

Gansynth::Gansynth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gansynth::~Gansynth() = default;
Gansynth::Gansynth(Gansynth&&) noexcept = default;
Gansynth& Gansynth::operator=(Gansynth&&) noexcept = default;
const GansynthInfo& Gansynth::info() const { return impl_->info; }
void Gansynth::set_log(std::function<void(const std::string& message)> log) { impl_->log = std::move(log); }

// A model folder's card and weights are checked here, its network built when first needed.
Gansynth Gansynth::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path))
    throw Error(path, fs::exists(path) ? "not a folder (expected a model folder or TF.js checkpoint folder)" : "no such model folder");
  if (fs::exists(path + "/model.json")) {
    const std::string card_path = path + "/model.json";
    const nlohmann::json card = formats::parse_model_card(read_text_file(card_path), card_path, "gansynth");
    if (!card.contains("hparams")) throw Error(card_path, "lacks \"hparams\"");
    const GansynthConfig config = formats::gansynth_config_from_json(card["hparams"], card_path);
    const GansynthWeights w = check_gansynth_weights(path + "/weights.safetensors", config, path);
    const std::string folder = fs::absolute(path).string();  // read again when the network is built
    return detail::make_gansynth(config, card, path, "model folder", w.fingerprint, w.parameters,
                                 [folder, config, fingerprint = w.fingerprint](const GansynthLog* log) {
                                   return torch_module().gansynth_network(folder, config, fingerprint, log);
                                 });
  }
  if (fs::exists(path + "/weights_manifest.json")) return torch_module().load_gansynth_tfjs(path);
  throw Error(path, "not a GANSynth model: no model.json or weights_manifest.json");
}

Gansynth Gansynth::random(const GansynthConfig& config, uint64_t seed, double stddev) {
  return torch_module().random_gansynth(config, seed, stddev);
}

std::vector<float> Gansynth::generate(const std::vector<float>& z, const std::vector<int>& pitches) const {
  return impl_->network().generate(z, pitches);
}

void Gansynth::generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options, float* audio,
                              const SpectralBackend& on_device, const SpectralBackend& on_host, int threads) const {
  impl_->network().generate_audio(z, pitches, options, audio, on_device, on_host, threads);
}

// Whether libtorch can use a GPU: a CPU-only libtorch needs no loading to say no.
bool Gansynth::cuda_available() { return TIMBREL_TORCH_CUDA && torch_module().cuda_available(); }

void Gansynth::set_device(Device device) {
  if (device == Device::Auto) device = cuda_available() ? Device::Cuda : Device::Cpu;
  if (device == Device::Cuda && !cuda_available())
    throw Error("device cuda", "this libtorch cannot use a GPU (Debian's libtorch is CPU-only; build against a CUDA-enabled libtorch)");
  impl_->device = device;
  if (impl_->net) impl_->net->to(device, impl_->precision);
}

Device Gansynth::device() const { return impl_->device; }

void Gansynth::set_precision(Precision precision) {
  impl_->precision = precision;
  torch_module().set_tf32(precision == Precision::Tf32);  // process-wide (no effect on a CPU)
  if (impl_->net) impl_->net->to(impl_->device, precision);
}

Precision Gansynth::precision() const { return impl_->precision; }

namespace {

// A latent from `seed`: N(0, 1), or for a card with "timbre_prior": "presets" (and >= 2 presets)
// the Gaussian fitted to the preset embeddings (their mean and sample covariance):
// z = mean + sum_k w_k (e_k - mean) / sqrt(K - 1), w ~ N(0, I_K).
std::vector<float> seeded_latent(uint32_t seed, int latent, const std::map<std::string, std::vector<float>>& presets, bool preset_prior) {
  if (!preset_prior || presets.size() < 2) {
    auto g = lcg_gaussians(size_t(latent), seed);
    return std::vector<float>(g.begin(), g.end());
  }
  const size_t k = presets.size();
  std::vector<double> mean(size_t(latent), 0.0);
  for (const auto& [name, e] : presets)
    for (int i = 0; i < latent; ++i) mean[size_t(i)] += e[size_t(i)] / double(k);
  auto w = lcg_gaussians(k, seed);
  std::vector<double> z = mean;
  size_t j = 0;
  for (const auto& [name, e] : presets) {
    const double c = w[j++] / std::sqrt(double(k - 1));
    for (int i = 0; i < latent; ++i) z[size_t(i)] += c * (e[size_t(i)] - mean[size_t(i)]);
  }
  return std::vector<float>(z.begin(), z.end());
}

std::vector<float> latent_file(const std::string& path, int latent) {
  NpyArray a = read_npy(path);
  const bool ok = (a.shape.size() == 1 && a.shape[0] == latent) || (a.shape.size() == 2 && a.shape[0] == 1 && a.shape[1] == latent);
  if (!ok) throw Error(path, "expected float32 [" + std::to_string(latent) + "] or [1, " + std::to_string(latent) + "]");
  for (float v : a.data)
    if (!std::isfinite(v)) throw Error(path, "non-finite value");
  return a.data;
}

}  // namespace

std::vector<float> Gansynth::timbre(const std::string& text) const {
  const int latent = impl_->info.config.latent_size;
  const TimbreSpec spec = parse_timbre_spec(text);
  switch (spec.kind) {
    case TimbreSpec::Kind::Seed:
      return seeded_latent(mix_seed(spec.seed), latent, impl_->presets, impl_->card.value("timbre_prior", "") == "presets");
    case TimbreSpec::Kind::Program:
      return impl_->presets.at(preset_for_program(spec.program).preset);
    case TimbreSpec::Kind::File:
      return latent_file(spec.name, latent);
    case TimbreSpec::Kind::Preset:
      break;
  }
  auto it = impl_->presets.find(spec.name);
  if (it != impl_->presets.end()) return it->second;
  std::string names;
  for (const auto& n : impl_->info.timbre_names) names += (names.empty() ? "" : ", ") + n;
  throw Error(text, "no such timbre in " + impl_->subject + (names.empty() ? " (it names none)" : " (it names: " + names + ")"));
}

InverseOptions Gansynth::played_inverse() const {
  return info().drums ? generated_drum_inverse() : generated_note_inverse();
}

Gansynth::ProgramPreset Gansynth::preset_for_program(int program) const {
  if (program < 0 || program > 127) throw Error("program " + std::to_string(program), "must be in 0..127");
  const auto& programs = impl_->programs;
  if (programs.empty()) throw Error(impl_->subject, "records no General MIDI programs for its presets (retrain it, or name a preset)");
  // Rank: same program first, then same GM family, then program distance; bank 0 before others.
  const std::pair<const std::string, formats::GmProgram>* best = nullptr;
  auto rank = [program](const formats::GmProgram& p) {
    return std::make_tuple(p.program != program, p.program / 8 != program / 8, std::abs(p.program - program), p.bank != 0, p.bank);
  };
  for (const auto& entry : programs)
    if (impl_->presets.count(entry.first) && (!best || rank(entry.second) < rank(best->second))) best = &entry;
  if (!best) throw Error(impl_->subject, "has no preset embeddings for its General MIDI programs");
  return {best->first, best->second.program, best->second.program == program};
}

std::map<std::string, std::pair<int, int>> Gansynth::preset_programs() const {
  std::map<std::string, std::pair<int, int>> out;
  for (const auto& [name, p] : impl_->programs) out[name] = {p.bank, p.program};
  return out;
}

double Gansynth::relative_level_db(const std::vector<float>& z, int pitch) const {
  const auto& levels = impl_->levels;
  if (levels.db.empty()) return 0;
  const std::vector<double>* row = nullptr;
  double nearest = INFINITY;
  for (const auto& [name, e] : impl_->presets) {
    auto it = levels.db.find(name);
    if (it == levels.db.end() || e.size() != z.size()) continue;
    double d = 0;
    for (size_t i = 0; i < z.size(); ++i) d += double(e[i] - z[i]) * double(e[i] - z[i]);
    if (d < nearest) nearest = d, row = &it->second;
  }
  if (!row) return 0;
  // The preset's level at the nearest pitch it has a note for.
  for (int off = 0; off < int(row->size()) + 128; ++off)
    for (int p : {pitch - off, pitch + off}) {
      const int i = p - levels.min_pitch;
      if (i >= 0 && i < int(row->size()) && std::isfinite((*row)[size_t(i)])) return (*row)[size_t(i)] - impl_->typical_level_db;
    }
  return 0;
}

void Gansynth::set_presets(const std::map<std::string, std::vector<float>>& presets) {
  for (const auto& [name, z] : presets)
    if (int(z.size()) != impl_->info.config.latent_size) throw Error("preset:" + name, "wrong latent size");
  impl_->presets = presets;
  impl_->info.timbre_names.clear();
  for (const auto& [name, z] : presets) impl_->info.timbre_names.push_back(name);
}

void Gansynth::save(const std::string& dir) const {
  nlohmann::json card = impl_->card;
  card["architecture"] = "gansynth";
  card["format_version"] = 1;
  card["hparams"] = formats::gansynth_config_json(impl_->info.config);
  card["weights_layout"] = "raw kernels [cout, cin, kh, kw]; x sqrt(2 / (kh kw cin)) applied at load";
  if (!impl_->presets.empty()) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [name, z] : impl_->presets) t[name] = z;
    card["timbres"] = t;
  } else {
    card.erase("timbres");
  }
  impl_->network().save(dir, card);
}

std::vector<float> bilinear(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c,
                            const std::vector<float>& d, double x, double y) {
  if (a.size() != b.size() || a.size() != c.size() || a.size() != d.size())
    throw Error("pad", "corner latents of different sizes");
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) throw Error("pad", "x and y must be in [0, 1]");
  std::vector<float> out(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    out[i] = float((1 - x) * (1 - y) * a[i] + x * (1 - y) * b[i] + (1 - x) * y * c[i] + x * y * d[i]);
  return out;
}

}  // namespace timbrel
