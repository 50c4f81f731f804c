// Loading MusicVAE weights from any of the three layouts, and the public MusicVae API.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "nn/model_folder.h"
#include "nn/musicvae_model.h"
#include "nn/musicvae_refine.h"
#include "nn/tf_checkpoints.h"
#include "timbrel/error.h"
#include "util/file_io.h"

namespace timbrel {
namespace nn {

torch::Tensor tokens_to_tensor(const std::vector<Tokens>& windows, const MusicVaeConfig& config, const std::string& subject) {
  torch::Tensor t = torch::empty({int64_t(windows.size()), config.steps}, torch::kLong);
  auto a = t.accessor<int64_t, 2>();
  for (size_t i = 0; i < windows.size(); ++i) {
    if (int(windows[i].size()) != config.steps)
      throw Error(subject, "window " + std::to_string(i) + " has " + std::to_string(windows[i].size()) + " steps, the model takes " +
                               std::to_string(config.steps));
    for (int s = 0; s < config.steps; ++s) {
      int c = windows[i][size_t(s)];
      if (c < 0 || c >= config.classes) throw Error(subject, "class " + std::to_string(c) + " out of range");
      a[int64_t(i)][s] = c;
    }
  }
  return t;
}

torch::Tensor chords_to_controls(const std::vector<StepChords>& chords, size_t windows, const MusicVaeConfig& config,
                                 const std::string& subject) {
  if (config.control_depth() == 0) {
    if (!chords.empty()) throw Error("chords", subject + " is not chord-conditioned; it takes no chords");
    return {};
  }
  if (chords.size() != 1 && chords.size() != windows)
    throw Error("chords", "expected one chord list per window (" + std::to_string(windows) + ") or one for all, got " +
                              std::to_string(chords.size()) + (chords.empty() ? ": " + subject + " is chord-conditioned" : ""));
  torch::Tensor t = torch::zeros({int64_t(windows), config.steps, config.control_depth()});
  auto a = t.accessor<float, 3>();
  for (size_t i = 0; i < windows; ++i) {
    const StepChords& w = chords[chords.size() == 1 ? 0 : i];
    if (int(w.size()) != config.steps)
      throw Error("chords", "window " + std::to_string(i) + " has chords for " + std::to_string(w.size()) + " steps, the model takes " +
                                std::to_string(config.steps));
    for (int s = 0; s < config.steps; ++s) a[int64_t(i)][s][triad_class(w[size_t(s)])] = 1.0f;
  }
  return t;
}

std::vector<Tokens> tensor_to_tokens(const torch::Tensor& t) {
  auto c = t.to(torch::kLong).contiguous();
  auto a = c.accessor<int64_t, 2>();
  std::vector<Tokens> out(size_t(c.size(0)), Tokens(size_t(c.size(1))));
  for (int64_t i = 0; i < c.size(0); ++i)
    for (int64_t s = 0; s < c.size(1); ++s) out[size_t(i)][size_t(s)] = int(a[i][s]);
  return out;
}

nlohmann::json musicvae_card(const MusicVaeConfig& config) {
  return {{"architecture", "musicvae"}, {"format_version", 1}, {"hparams", config.to_json()}};
}

formats::SamplingAdvice trained_sampling(const MusicVaeConfig& config) {
  formats::SamplingAdvice a;
  if (config.kind == "drums") return a;  // the groove's hits are its latent's: drawn as Magenta does
  a.draw = config.control_depth() > 0 ? StepDraw::KeepDensity : StepDraw::PerDecision;
  // A 16-bar latent sets the phrases: sharper, its songs repeat bars more often (docs/melodies.md).
  if (config.hierarchical()) a.temperature = 0.4;
  return a;
}

MusicVae wrap_musicvae(MusicVaeNet net, const std::string& format, nlohmann::json card) {
  return detail::ModelAccess::wrap<MusicVae>(musicvae_backend(std::move(net), format, std::move(card)));
}

std::unique_ptr<TorchMusicVae> musicvae_backend(MusicVaeNet net, const std::string& format, nlohmann::json card) {
  auto impl = std::make_unique<TorchMusicVae>();
  const auto& c = net->config();
  impl->info.kind = parse_model_kind(c.kind);
  impl->info.format = format;
  impl->info.steps = c.steps;
  impl->info.classes = c.classes;
  impl->info.z_size = c.z_size;
  impl->info.encoder = c.encoder;
  impl->info.decoder = c.decoder;
  impl->info.missing_encoder_tensors = net->missing_encoder_tensors();
  impl->info.chords = c.control_depth() > 0;
  const std::string card_name = net->model_name + "/model.json";
  impl->net = std::move(net);
  impl->card = card.is_null() ? musicvae_card(c) : std::move(card);
  impl->latent_prior = formats::latent_prior_from_card(impl->card, c.z_size, card_name);
  formats::SamplingAdvice advice;
  advice.draw = impl->info.chords ? StepDraw::KeepDensity : StepDraw::Flat;
  advice = formats::sampling_from_card(impl->card, card_name).value_or(advice);
  impl->info.temperature = advice.temperature;
  impl->info.draw = advice.draw;
  return impl;
}

namespace {

// The converter spec of a Magenta checkpoint (config.json or converter.json) names its kind.
std::string checkpoint_kind(const std::string& dir, const TensorMap& t) {
  for (const char* name : {"/config.json", "/converter.json"}) {
    const std::string file = dir + name;
    if (!std::filesystem::exists(file)) continue;
    const std::string kind = formats::converter_kind(read_text_file(file), file);
    if (!kind.empty()) return kind;
  }
  auto it = t.find("decoder.output_projection.kernel");
  return it != t.end() && it->second.dim() == 2 && it->second.size(1) == 512 ? "drums" : "melody";
}

}  // namespace

std::unique_ptr<TorchMusicVae> load_musicvae(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path))
    throw Error(path, fs::exists(path) ? "not a folder (expected a model folder or checkpoint folder)" : "no such model folder");
  std::string format;
  nn::TensorMap tensors;
  nn::MusicVaeConfig config;
  nlohmann::json card;
  if (nn::is_model_folder(path)) {
    auto folder = nn::read_model_folder(path, "musicvae");
    if (!folder.card.contains("hparams")) throw Error(path + "/model.json", "lacks \"hparams\"");
    config = nn::MusicVaeConfig::from_json(folder.card["hparams"], path + "/model.json");
    tensors = std::move(folder.tensors);
    card = folder.card;
    format = "model folder";
  } else {
    if (fs::exists(path + "/weights_manifest.json")) {
      tensors = nn::tf_names_to_module_paths(nn::read_tfjs_checkpoint(path), path);
      format = "tfjs";
    } else if (fs::exists(path + "/manifest.json")) {
      tensors = nn::tf_names_to_module_paths(nn::read_dljs_checkpoint(path), path);
      format = "deeplearn.js";
    } else {
      throw Error(path, "not a model: no model.json, weights_manifest.json or manifest.json");
    }
    nn::require_finite(tensors, path);
    config = nn::infer_musicvae_config(tensors, nn::checkpoint_kind(path, tensors), path);
  }
  nn::MusicVaeNet net(config);
  net->model_name = path;
  net->load(tensors, path);
  net->eval();
  return musicvae_backend(std::move(net), format, card);
}

}  // namespace nn

std::vector<Tokens> TorchMusicVae::decode(const std::vector<float>& z, double temperature, uint64_t seed,
                                     const std::vector<StepChords>& chords, StepDraw draw) const {
  const int64_t zs = info.z_size;
  if (z.empty() || z.size() % size_t(zs)) throw Error("z", "expected a multiple of " + std::to_string(zs) + " values");
  for (float v : z)
    if (!std::isfinite(v)) throw Error("z", "non-finite value");
  if (!std::isfinite(temperature) || temperature < 0) throw Error("temperature", "must be >= 0");
  torch::manual_seed(seed);
  auto zt = torch::from_blob(const_cast<float*>(z.data()), {int64_t(z.size()) / zs, zs}, torch::kFloat).clone();
  const torch::Tensor controls = nn::chords_to_controls(chords, size_t(zt.size(0)), net->config(), net->model_name);
  return nn::tensor_to_tokens(net->decode(zt, temperature, nullptr, controls, draw));
}

namespace {
constexpr int64_t kRefineChunk = 256;  // windows refined at once
}  // namespace

std::vector<float> TorchMusicVae::encode(const std::vector<Tokens>& windows, int refine_steps, const std::vector<StepChords>& chords) const {
  if (refine_steps < 0 || refine_steps > 100000) throw Error("refine_steps", "must be 0..100000");
  auto t = nn::tokens_to_tensor(windows, net->config(), net->model_name);
  const torch::Tensor controls = nn::chords_to_controls(chords, windows.size(), net->config(), net->model_name);
  torch::Tensor mu;
  {
    torch::NoGradGuard no_grad;
    mu = net->encode(t, controls).first;
  }
  if (refine_steps > 0 && t.size(0) > 0) {  // rows are independent: chunks bound the memory of the backward passes
    std::vector<torch::Tensor> refined;
    for (int64_t at = 0; at < t.size(0); at += kRefineChunk) {
      const int64_t n = std::min<int64_t>(kRefineChunk, t.size(0) - at);
      const torch::Tensor c = controls.defined() ? controls.narrow(0, at, n) : torch::Tensor();
      refined.push_back(nn::refine_latents(*net, t.narrow(0, at, n), mu.narrow(0, at, n), refine_steps, c));
    }
    mu = torch::cat(refined);
  }
  mu = mu.contiguous();
  return std::vector<float>(mu.data_ptr<float>(), mu.data_ptr<float>() + mu.numel());
}

namespace {

// n draws of the model's prior: N(0, 1), one Gaussian, or a mixture whose component is chosen by
// weight per latent, or once for all of them (`one_component`).
std::vector<float> draw_prior(size_t n, int64_t dims, uint64_t seed, const std::vector<formats::LatentPrior::Component>* parts,
                              bool one_component) {
  torch::manual_seed(seed);
  auto z = torch::randn({int64_t(n), dims});
  if (parts && parts->size() == 1)  // one Gaussian: the draws of models fitted before mixtures, unchanged
    z = (z * torch::tensor(parts->front().std) + torch::tensor(parts->front().mean)).contiguous();
  std::vector<float> out(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
  if (!parts || parts->size() == 1) return out;
  // A mixture: the components from their own generator, seeded by `seed`.
  std::vector<double> weights;
  for (const auto& c : *parts) weights.push_back(c.weight);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  const size_t shared = pick(rng);
  for (size_t i = 0; i < n; ++i) {
    const auto& c = (*parts)[one_component || i == 0 ? shared : pick(rng)];
    for (size_t k = 0; k < size_t(dims); ++k) out[i * size_t(dims) + k] = out[i * size_t(dims) + k] * c.std[k] + c.mean[k];
  }
  return out;
}

}  // namespace

std::vector<float> TorchMusicVae::random_z(size_t n, uint64_t seed, bool standard_prior) const {
  const bool prior = !standard_prior && has_latent_prior();
  return draw_prior(n, info.z_size, seed, prior ? &latent_prior->components : nullptr, false);
}

std::vector<float> TorchMusicVae::random_z_related(size_t n, uint64_t seed) const {
  return draw_prior(n, info.z_size, seed, has_latent_prior() ? &latent_prior->components : nullptr, true);
}

void TorchMusicVae::save(const std::string& dir, bool float16) const {
  nlohmann::json out = card;
  out["architecture"] = "musicvae";
  out["hparams"] = net->config().to_json();
  out["weights_dtype"] = float16 ? "float16" : "float32";
  if (!info.missing_encoder_tensors.empty()) out["missing_encoder_tensors"] = info.missing_encoder_tensors;
  nn::write_model_folder(dir, out, net->tensors(), float16 ? torch::kHalf : torch::kFloat);
}

}  // namespace timbrel
