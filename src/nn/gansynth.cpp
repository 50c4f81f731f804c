// The public Gansynth API: loading (model folder or TF.js checkpoint), generation, timbres.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "nn/gansynth_net.h"
#include "nn/model_access.h"
#include "nn/model_folder.h"
#include "nn/tf_checkpoints.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "timbrel/timbre_spec.h"
#include "util/hash64.h"
#include "util/npy.h"

namespace timbrel {

struct Gansynth::Impl {
  std::vector<int64_t> validate(const std::vector<float>& z, const std::vector<int>& pitches) const;
  torch::Tensor forward(const float* z, const int64_t* index, size_t n) const;
  // Validates z and pitches once, then runs them in batches that fit, handing each batch's
  // output [count, 128, 1024, 2] (on the model's device) to use(first, count, output).
  template <typename Use>
  void forward_in_fitting_batches(const std::vector<float>& z, const std::vector<int>& pitches, const Use& use) const;
  Precision precision = Precision::Fp32;
  GansynthInfo info;
  std::unique_ptr<nn::GansynthNet> net;
  nlohmann::json card;
  std::map<std::string, std::vector<float>> presets;
  std::map<std::string, formats::GmProgram> programs;
  formats::NoteLevels levels;
  double typical_level_db = 0;
  std::string subject;
  std::function<void(const std::string&)> log;
  // The largest batch known to fit on the current device (halved on each out-of-memory).
  mutable std::atomic<size_t> batch_limit{SIZE_MAX};
};

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

// The architecture and every weight tensor (name, shape, dtype, values) hashed.
std::string weights_fingerprint(const GansynthConfig& c, const nn::TensorMap& raw) {
  Hash64 h;
  for (int v : {c.latent_size, c.min_pitch, c.pitches, int(c.pitch_template), c.time_depth_blocks}) h.add_value(v);
  for (int v : c.channels) h.add_value(v);
  for (const auto& [name, tensor] : raw) {
    h.add(name.data(), name.size() + 1);
    const torch::Tensor t = tensor.contiguous().cpu();
    for (int64_t d : t.sizes()) h.add_value(d);
    h.add_value(int(t.scalar_type()));
    h.add(t.data_ptr(), size_t(t.numel()) * t.element_size());
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.digest()));
  return hex;
}

Gansynth wrap(GansynthConfig config, nn::TensorMap raw, const std::string& subject, const std::string& format,
              nlohmann::json card) {
  auto impl = std::make_unique<detail::GansynthImpl>();
  impl->info.fingerprint = weights_fingerprint(config, raw);
  impl->net = std::make_unique<nn::GansynthNet>(config, std::move(raw), subject);
  impl->info.config = config;
  impl->info.format = format;
  impl->info.parameters = impl->net->parameters();
  impl->subject = subject;
  for (auto& [name, z] : formats::timbre_presets_from_card(card, config.latent_size, subject + "/model.json")) {
    impl->info.timbre_names.push_back(name);
    impl->presets[name] = std::move(z);
  }
  impl->programs = formats::timbre_programs_from_card(card, subject + "/model.json");
  impl->info.gm_programs = !impl->programs.empty();
  if (card.is_object() && card.contains("data") && card["data"].is_object() && card["data"].contains("kind") &&
      card["data"]["kind"] == "drums")
    impl->info.drums = true;
  impl->levels = formats::note_levels_from_card(card, subject + "/model.json");
  impl->typical_level_db = typical_level(impl->levels);
  impl->card = card.is_null() ? nlohmann::json::object() : std::move(card);
  return detail::ModelAccess::wrap<Gansynth>(std::move(impl));
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

}  // namespace

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

Gansynth::Gansynth(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gansynth::~Gansynth() = default;
Gansynth::Gansynth(Gansynth&&) noexcept = default;
Gansynth& Gansynth::operator=(Gansynth&&) noexcept = default;
const GansynthInfo& Gansynth::info() const { return impl_->info; }
void Gansynth::set_log(std::function<void(const std::string& message)> log) { impl_->log = std::move(log); }

Gansynth Gansynth::load(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path))
    throw Error(path, fs::exists(path) ? "not a folder (expected a model folder or TF.js checkpoint folder)" : "no such model folder");
  if (nn::is_model_folder(path)) {
    auto folder = nn::read_model_folder(path, "gansynth");
    if (!folder.card.contains("hparams")) throw Error(path + "/model.json", "lacks \"hparams\"");
    GansynthConfig config = formats::gansynth_config_from_json(folder.card["hparams"], path + "/model.json");
    return wrap(config, std::move(folder.tensors), path, "model folder", folder.card);
  }
  if (fs::exists(path + "/weights_manifest.json")) {
    GansynthConfig config;
    const nn::TensorMap tf = nn::read_tfjs_checkpoint(path);
    nn::require_finite(tf, path);
    nn::TensorMap raw = nn::gansynth_from_tf(tf, path, &config);
    return wrap(config, std::move(raw), path, "tfjs", nullptr);
  }
  throw Error(path, "not a GANSynth model: no model.json or weights_manifest.json");
}

Gansynth Gansynth::random(const GansynthConfig& config, uint64_t seed, double stddev) {
  GansynthConfig inferred;  // from_tf assumes 61 pitches; only the sum latent + pitches matters
  nn::TensorMap raw = nn::gansynth_from_tf(nn::gansynth_random_tf(config, uint32_t(seed), stddev), "random", &inferred);
  return wrap(config, std::move(raw), "random GANSynth", "random", nullptr);
}

// The pitches as one-hot indices, once z and pitches are checked.
std::vector<int64_t> Gansynth::Impl::validate(const std::vector<float>& z, const std::vector<int>& pitches) const {
  const GansynthConfig& c = info.config;
  const size_t n = pitches.size();
  if (n == 0) throw Error("generate", "no notes");
  if (z.size() != n * size_t(c.latent_size))
    throw Error("z", std::to_string(z.size()) + " values for " + std::to_string(n) + " notes, expected " +
                         std::to_string(n * size_t(c.latent_size)));
  for (float v : z)
    if (!std::isfinite(v)) throw Error("z", "non-finite value");
  std::vector<int64_t> index(n);
  for (size_t i = 0; i < n; ++i) {
    if (pitches[i] < c.min_pitch || pitches[i] > c.max_pitch())
      throw Error("pitch", std::to_string(pitches[i]) + " is outside the generator's range " + std::to_string(c.min_pitch) +
                               ".." + std::to_string(c.max_pitch()) + " (MIDI)");
    index[i] = int64_t(pitches[i] - c.min_pitch);
  }
  return index;
}

// n validated notes through the network; the output [n, 128, 1024, 2] stays on its device.
torch::Tensor Gansynth::Impl::forward(const float* z, const int64_t* index, size_t n) const {
  c10::InferenceMode guard;
  const torch::Device device = net->device();
  const torch::Tensor zt =
      torch::from_blob(const_cast<float*>(z), {int64_t(n), info.config.latent_size}, torch::kFloat).to(device);
  const torch::Tensor it = torch::from_blob(const_cast<int64_t*>(index), {int64_t(n)}, torch::kLong).to(device);
  return net->forward(zt, it).contiguous();
}

namespace {

// Test hook: TIMBREL_FAULT_OOM_ABOVE_BATCH=N makes every batch of more than N notes run out of
// memory, on any device, so the back-off is tested where no GPU is.
size_t simulated_memory_batches() {
  static const size_t n = [] {
    const char* v = std::getenv("TIMBREL_FAULT_OOM_ABOVE_BATCH");
    return v ? size_t(std::strtoull(v, nullptr, 10)) : SIZE_MAX;
  }();
  return n;
}

std::string first_line(const char* what) {
  const std::string s(what);
  return s.substr(0, s.find('\n'));
}

}  // namespace

// A batch that runs out of device memory is halved and retried, down to one note; the limit found
// is kept for later calls. A failed GPU (illegal address, ECC, lost device) becomes an Error
// saying so.
template <typename Use>
void Gansynth::Impl::forward_in_fitting_batches(const std::vector<float>& z, const std::vector<int>& pitches,
                                                const Use& use) const {
  const std::vector<int64_t> index = validate(z, pitches);
  const size_t n = index.size(), latent = size_t(info.config.latent_size);
  for (size_t first = 0; first < n;) {
    const size_t count = std::min(n - first, batch_limit.load());
    try {
      if (count > simulated_memory_batches())
        throw OutOfMemoryError("generate", "simulated out of memory (TIMBREL_FAULT_OOM_ABOVE_BATCH)");
      try {
        use(first, count, forward(z.data() + first * latent, index.data() + first, count));
      } catch (const c10::OutOfMemoryError& e) {
        throw OutOfMemoryError(net->device().is_cuda() ? "cuda" : "generate", first_line(e.what()));
      } catch (const c10::Error& e) {
        if (!net->device().is_cuda()) throw;
        throw Error("cuda", "the GPU failed (" + first_line(e.what()) +
                                "); its state cannot be trusted for the rest of this run: run again, or use --device cpu");
      }
      first += count;
    } catch (const OutOfMemoryError& e) {
      if (count == 1) throw OutOfMemoryError(e.subject(), e.problem() + " (even for a single note)");
      const size_t half = count / 2;
      size_t expected = batch_limit.load();
      while (expected > half && !batch_limit.compare_exchange_weak(expected, half)) {
      }
      if (log)
        log("out of " + std::string(net->device().is_cuda() ? "GPU" : "host") + " memory for a batch of " + std::to_string(count) +
            " notes; retrying in batches of " + std::to_string(half));
    }
  }
}

std::vector<float> Gansynth::generate(const std::vector<float>& z, const std::vector<int>& pitches) const {
  const size_t note = size_t(kSpectrogramValues);
  std::vector<float> out(pitches.size() * note);
  impl_->forward_in_fitting_batches(z, pitches, [&](size_t first, size_t count, const torch::Tensor& spec) {
    const torch::Tensor host = spec.to(torch::kCPU);
    std::memcpy(out.data() + first * note, host.data_ptr<float>(), count * note * sizeof(float));
  });
  return out;
}

bool Gansynth::cuda_available() { return torch::cuda::is_available(); }

void Gansynth::set_device(Device device) {
  const torch::ScalarType dtype = impl_->precision == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat;
  if (device == Device::Auto) device = torch::cuda::is_available() ? Device::Cuda : Device::Cpu;
  if (device == Device::Cpu) {
    impl_->net->to(torch::Device(torch::kCPU), dtype);
    return;
  }
  if (!torch::cuda::is_available())
    throw Error("device cuda", "this libtorch cannot use a GPU (Debian's libtorch is CPU-only; build against a CUDA-enabled libtorch)");
  impl_->net->to(torch::Device(torch::kCUDA, 0), dtype);
}

void Gansynth::set_precision(Precision precision) {
  impl_->precision = precision;
  // TF32 is a process-wide switch of cuBLAS/cuDNN (no effect on a CPU).
  at::globalContext().setAllowTF32CuBLAS(precision == Precision::Tf32);
  at::globalContext().setAllowTF32CuDNN(precision == Precision::Tf32);
  set_device(device());
}

Precision Gansynth::precision() const { return impl_->precision; }

Device Gansynth::device() const { return impl_->net->device().is_cpu() ? Device::Cpu : Device::Cuda; }

void Gansynth::generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options, float* audio,
                              const SpectralBackend& on_device, const SpectralBackend& on_host, int threads) const {
  if (impl_->net->device().is_cuda() && on_device) {
    // The output never leaves the GPU. libtorch ran on the legacy default stream; on_device's
    // stream waits for it.
    impl_->forward_in_fitting_batches(z, pitches, [&](size_t first, size_t count, const torch::Tensor& spec) {
      on_device(spec.data_ptr<float>(), count, audio + first * size_t(kNoteSamples), options);
    });
    return;
  }
  const std::vector<float> spec = generate(z, pitches);
  if (on_host) on_host(spec.data(), pitches.size(), audio, options);
  else spectrograms_to_audio(spec.data(), pitches.size(), audio, options, threads);
}

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
  card["hparams"] = nn::gansynth_config_json(impl_->info.config);
  card["weights_layout"] = "raw kernels [cout, cin, kh, kw]; x sqrt(2 / (kh kw cin)) applied at load";
  if (!impl_->presets.empty()) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [name, z] : impl_->presets) t[name] = z;
    card["timbres"] = t;
  } else {
    card.erase("timbres");
  }
  nn::write_model_folder(dir, card, impl_->net->raw());
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
